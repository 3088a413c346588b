// The hardware boundary: every import of the image, and nothing else.
// docs/hal.md is the normative description of each function.
// Return codes: 0 = ok, negative = HAL error (see HAL_ERR_* below).

export const HAL_OK: i32 = 0;
export const HAL_ERR_RANGE: i32 = -1; // address/length outside the device
export const HAL_ERR_FLASH: i32 = -2; // program/erase failed (rule violation, worn out)
export const HAL_ERR_UNSUPPORTED: i32 = -3; // this model has no such hardware

// ---- flash (the data region only; image slots belong to the boot ROM) ----
@external("hal", "flash_page_size")
export declare function flash_page_size(): u32;
@external("hal", "flash_page_count")
export declare function flash_page_count(): u32;
@external("hal", "flash_read")
export declare function flash_read(addr: u32, dst: usize, len: u32): i32;
/** Programs bytes: can only clear bits (1→0); addr and len must be multiples of 4. */
@external("hal", "flash_write")
export declare function flash_write(addr: u32, src: usize, len: u32): i32;
/** Sets every byte of the page to 0xFF. */
@external("hal", "flash_erase")
export declare function flash_erase(page: u32): i32;

// ---- time ----
/** Free-running RTC in milliseconds (battery backed; not Unix time, may drift). */
@external("hal", "rtc_ms")
export declare function rtc_ms(): i64;
/** Milliseconds since this boot; monotonic. */
@external("hal", "uptime_ms")
export declare function uptime_ms(): i64;
/** Asks the host to call the `tick` export once uptime reaches `at` (ms); 0 cancels. */
@external("hal", "wake_at")
export declare function wake_at(at: i64): void;

// ---- randomness ----
/** Fills dst with len bytes from the hardware TRNG. */
@external("hal", "rng_fill")
export declare function rng_fill(dst: usize, len: u32): i32;

// ---- user interface ----
/** Shows ASCII text on the LCD (len 0 blanks it). */
@external("hal", "display_text")
export declare function display_text(src: usize, len: u32): i32;
/** LED on (1) / off (0). */
@external("hal", "led_set")
export declare function led_set(on: u32): i32;

// ---- communication ----
/** Sends bytes out of the UART service port. */
@external("hal", "uart_tx")
export declare function uart_tx(src: usize, len: u32): i32;
/** Sends one 64-byte HID input report. */
@external("hal", "hid_tx")
export declare function hid_tx(src: usize, len: u32): i32;

// ---- faults ----
/** Records a fatal fault (code, source line) just before the image traps. */
@external("hal", "fault")
export declare function fault(code: u32, line: u32): void;

// ---- image slots and the boot ROM (docs/image-format.md); slot calls reach only the inactive slot ----
/** Bytes in one image slot (0 = this device cannot update). */
@external("hal", "slot_size")
export declare function slot_size(): u32;
/** Erases page `page` of the inactive slot (page size = flash_page_size()). */
@external("hal", "slot_erase")
export declare function slot_erase(page: u32): i32;
/** Programs the inactive slot (NOR rules as flash_write). */
@external("hal", "slot_write")
export declare function slot_write(addr: u32, src: usize, len: u32): i32;
/** Reads the inactive slot. */
@external("hal", "slot_read")
export declare function slot_read(addr: u32, dst: usize, len: u32): i32;
/** The inactive slot holds a complete, checked image: the boot ROM tries it at the next boot. */
@external("hal", "slot_pending")
export declare function slot_pending(): i32;
/** Copies maker key `index` (64 bytes X ‖ Y) to dst; -1 no such key, -4 revoked. */
@external("hal", "boot_key")
export declare function boot_key(index: u32, dst: usize): i32;
/** The stored security counter. */
@external("hal", "boot_counter")
export declare function boot_counter(): u32;
/** Bit 0: this boot is a trial (not confirmed yet); bits 8..15: the running slot (0 = A, 1 = B). */
@external("hal", "boot_state")
export declare function boot_state(): u32;
/** The running image passed its self-test: keep it. */
@external("hal", "boot_confirm")
export declare function boot_confirm(): i32;
/** Asks the host to power-cycle the device once the current event returns. */
@external("hal", "reset")
export declare function reset(): void;
// ---- audio (the audio code reader; docs/hal.md "Audio") ----
/** Queues `samples` (1..256) 16-bit signed mono PCM samples at 8000 Hz from `src`: all of them
 *  (returns `samples`) or, when the output FIFO has less room, none (returns 0; the host calls
 *  `tick` once there is room). `samples` = 0 drops every queued sample at once (interrupt). */
@external("hal", "audio_write")
export declare function audio_write(src: usize, samples: u32): i32;
/** 1 while a headset is plugged in (the speaker is then muted by the hardware), else 0. */
@external("hal", "headset_state")
export declare function headset_state(): u32;
/** The battery's charge in percent (0..100); 100 on a device powered otherwise (no gauge). */
@external("hal", "battery_level")
export declare function battery_level(): u32;
/** Bytes in the voice region (read-only flash holding the voice pack); 0 when there is none. */
@external("hal", "voice_size")
export declare function voice_size(): u32;
/** Copies `len` bytes of the voice region at `addr` to `dst`; RANGE beyond voice_size(). */
@external("hal", "voice_read")
export declare function voice_read(addr: u32, dst: usize, len: u32): i32;
