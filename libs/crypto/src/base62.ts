import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The base62 alphabet: digits, upper case, lower case (what GitHub's token checksums use). */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * `length` uniformly random base62 characters from the CSPRNG. Rejection sampling (a byte's
 * low 6 bits, values ≥ 62 dropped), so no character is likelier than another: every
 * character carries log2(62) ≈ 5.954 bits (43 characters ≥ 256 bits).
 */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(Math.ceil((length - out.length) * 1.1) + 4)) {
      const v = b & 63;
      if (v < 62) out += BASE62[v];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A non-negative integer in base62, left-padded with '0' to `width`. */
export function toBase62(value: number, width: number): string {
  let v = Math.floor(value);
  let out = '';
  do {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  } while (v > 0);
  return out.padStart(width, '0');
}

/** CRC32 (node:zlib) of a string, as 6 base62 characters (62^6 > 2^32): a typo check, not a MAC. */
export function crc32Base62(text: string): string {
  return toBase62(crc32(text), 6);
}
