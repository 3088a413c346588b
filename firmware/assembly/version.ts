export const FIRMWARE_MAJOR: u8 = 0;
export const FIRMWARE_MINOR: u8 = 1;
export const FIRMWARE_PATCH: u8 = 0;
