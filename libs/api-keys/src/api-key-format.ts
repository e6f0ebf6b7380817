import { crc32Base62, randomBase62 } from '@tessera/crypto';

/**
 * The API key / S2S token format (also what secret scanners match):
 *
 *   tsr_live_<key id: 16 base62><secret: 43 base62><checksum: 6 base62>
 *   tsr_test_…                                                (test mode)
 *
 * The key id (~95 random bits) is public: it finds the row and is shown in listings as
 * the key's prefix. The secret carries 43 × log2(62) ≈ 256 random bits. The checksum is
 * CRC32 (node:zlib) of everything before it, in base62 (like GitHub's tokens): a typo or a
 * truncated paste is refused without touching Redis or PostgreSQL. It is not a MAC: the
 * secret is checked against its HMAC digest.
 */
export const API_KEY_PATTERN = /^tsr_(live|test)_([0-9A-Za-z]{16})([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;
/** Anything that looks like one of our keys, wherever it appears (query strings, logs). */
export const API_KEY_LIKE = /tsr_(?:live|test)_[0-9A-Za-z]{20,}/;
export const KEY_ID_LENGTH = 16;
export const SECRET_LENGTH = 43;

export type KeyMode = 'live' | 'test';

export interface ParsedApiKey {
  mode: KeyMode;
  keyId: string;
}

export function newKeyId(): string {
  return randomBase62(KEY_ID_LENGTH);
}

/** A new key for an id: the full token, shown once. */
export function formatApiKey(mode: KeyMode, keyId: string): string {
  const body = `tsr_${mode}_${keyId}${randomBase62(SECRET_LENGTH)}`;
  return body + crc32Base62(body);
}

/** Shape and checksum only: no I/O. Null for anything that is not a well-formed key. */
export function parseApiKey(token: string): ParsedApiKey | null {
  if (token.length !== 74) return null;
  const m = API_KEY_PATTERN.exec(token);
  if (!m) return null;
  if (crc32Base62(token.slice(0, 68)) !== m[4]) return null;
  return { mode: m[1] as KeyMode, keyId: m[2]! };
}

/** What listings show: enough to recognise a key, nothing that authenticates. */
export function keyPrefix(mode: KeyMode, keyId: string): string {
  return `tsr_${mode}_${keyId}`;
}
