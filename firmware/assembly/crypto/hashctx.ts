// Hash contexts (all of SHA-1/256/512 share this layout, see hash.ts) live in caller-owned
// memory of HASH_CTX_SIZE bytes:
//   +0  u32 alg         (ALG_SHA1 / ALG_SHA256 / ALG_SHA512)
//   +4  u32 buffered    bytes waiting in the block buffer
//   +8  u64 total       bytes hashed so far (including the buffered ones)
//   +16 state           chaining value in native word order (SHA-1 20 B, SHA-256 32 B, SHA-512 64 B)
//   +80 block buffer    64 B (SHA-1/256) or 128 B (SHA-512)
// A module of its own (imported by sha1/sha256/sha512 and hash.ts, which import each other).

export const HASH_CTX_SIZE: u32 = 208;
export const HCTX_ALG: usize = 0;
export const HCTX_USED: usize = 4;
export const HCTX_TOTAL: usize = 8;
export const HCTX_STATE: usize = 16;
export const HCTX_BUF: usize = 80;
