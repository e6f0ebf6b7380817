import { randomBytes } from 'node:crypto';
import { openPrivateKey, PrivateKeyDecryptError, sealPrivateKey } from './private-key-box';

describe('private key box (AES-256-GCM, kid as associated data)', () => {
  const key = randomBytes(32);
  const secret = JSON.stringify({
    kty: 'EC',
    crv: 'P-256',
    x: 'x',
    y: 'y',
    d: 'the-private-scalar',
  });

  it('round-trips, with a fresh IV each time, and hides the plaintext', () => {
    const a = sealPrivateKey(key, 'kid-aaaaaaaa', secret);
    const b = sealPrivateKey(key, 'kid-aaaaaaaa', secret);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(a, 'base64url').toString('latin1')).not.toContain('the-private-scalar');
    expect(openPrivateKey(key, 'kid-aaaaaaaa', a)).toBe(secret);
  });

  it('refuses a ciphertext moved to another kid', () => {
    const sealed = sealPrivateKey(key, 'kid-aaaaaaaa', secret);
    expect(() => openPrivateKey(key, 'kid-bbbbbbbb', sealed)).toThrow(PrivateKeyDecryptError);
  });

  it('refuses another key, a flipped bit, and truncated input', () => {
    const sealed = sealPrivateKey(key, 'kid-aaaaaaaa', secret);
    expect(() => openPrivateKey(randomBytes(32), 'kid-aaaaaaaa', sealed)).toThrow(
      PrivateKeyDecryptError,
    );
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => openPrivateKey(key, 'kid-aaaaaaaa', raw.toString('base64url'))).toThrow(
      PrivateKeyDecryptError,
    );
    expect(() =>
      openPrivateKey(key, 'kid-aaaaaaaa', raw.subarray(0, 20).toString('base64url')),
    ).toThrow(PrivateKeyDecryptError);
  });

  it('needs a 256-bit key', () => {
    expect(() => sealPrivateKey(randomBytes(16), 'kid-aaaaaaaa', secret)).toThrow(/32-byte/);
  });
});
