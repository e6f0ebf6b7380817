import { constantTimeEqualHex, deriveKey, hmacHex, randomToken } from './crypto';

describe('crypto helpers', () => {
  const master = Buffer.alloc(32, 7);
  it('derives a different key per purpose, the same for the same purpose', () => {
    expect(deriveKey(master, 'a').equals(deriveKey(master, 'a'))).toBe(true);
    expect(deriveKey(master, 'a').equals(deriveKey(master, 'b'))).toBe(false);
    expect(deriveKey(master, 'a')).toHaveLength(32);
  });
  it('makes 256-bit base64url tokens', () => {
    const t = randomToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(t);
  });
  it('compares digests in constant time and refuses different lengths or empty input', () => {
    const k = deriveKey(master, 'x');
    const d = hmacHex(k, 'secret');
    expect(constantTimeEqualHex(d, hmacHex(k, 'secret'))).toBe(true);
    expect(constantTimeEqualHex(d, hmacHex(k, 'other'))).toBe(false);
    expect(constantTimeEqualHex(d, d.slice(0, 10))).toBe(false);
    expect(constantTimeEqualHex('', '')).toBe(false);
  });
});
