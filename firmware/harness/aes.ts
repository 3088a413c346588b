// Test-only entry: AES-256 block and CBC functions over the exchange buffer.
// Self-contained (does not pull in main.ts): the entry points the simulator expects, inert.
import { inIo } from "../assembly/io";
export { io_ptr, io_size, boot, button, uart_rx, tick } from "./lib/inert";
import {
  aes256ExpandKey, aes256EncryptBlock, aes256DecryptBlock, aes256CbcEncrypt, aes256CbcDecrypt,
} from "../assembly/crypto/aes";

const RK: usize = memory.data(240, 16);


/** Encrypts (dir = 1) or decrypts (dir = 0) one block with a 32-byte key. */
export function aes_block(dir: u32, key: usize, src: usize, dst: usize): i32 {
  if (!inIo(key, 32) || !inIo(src, 16) || !inIo(dst, 16)) return -2;
  aes256ExpandKey(RK, key);
  if (dir) aes256EncryptBlock(RK, src, dst);
  else aes256DecryptBlock(RK, src, dst);
  return 16;
}

export function aes_cbc(dir: u32, key: usize, iv: usize, src: usize, len: u32, dst: usize): i32 {
  if (!inIo(key, 32) || !inIo(iv, 16) || !inIo(src, len) || !inIo(dst, len)) return -2;
  return dir ? aes256CbcEncrypt(key, iv, src, len, dst) : aes256CbcDecrypt(key, iv, src, len, dst);
}

/** Benchmark: n block encryptions (dir = 1) or decryptions (0) in place, one key schedule. */
export function aes_bench(dir: u32, key: usize, buf: usize, n: u32): i32 {
  if (!inIo(key, 32) || !inIo(buf, 16)) return -2;
  aes256ExpandKey(RK, key);
  for (let i: u32 = 0; i < n; i++) {
    if (dir) aes256EncryptBlock(RK, buf, buf);
    else aes256DecryptBlock(RK, buf, buf);
  }
  return 0;
}
