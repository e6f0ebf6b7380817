import { randomBytes } from 'node:crypto';
import { open, seal, SecretBoxError } from './secret-box';

describe('secret box (AES-256-GCM with the row as associated data)', () => {
  const key = randomBytes(32);

  it('opens what it sealed, with a fresh IV each time', () => {
    const a = seal(key, 'totp:t:u', 'JBSWY3DPEHPK3PXP');
    const b = seal(key, 'totp:t:u', 'JBSWY3DPEHPK3PXP');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\./);
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
    expect(open(key, 'totp:t:u', a)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses another row, another key, tampering and junk', () => {
    const sealed = seal(key, 'totp:t:u1', 'secret');
    expect(() => open(key, 'totp:t:u2', sealed)).toThrow(SecretBoxError);
    expect(() => open(randomBytes(32), 'totp:t:u1', sealed)).toThrow(SecretBoxError);
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => open(key, 'totp:t:u1', `v1.${raw.toString('base64url')}`)).toThrow(SecretBoxError);
    for (const junk of ['', 'v1.', 'v2.' + sealed.slice(3), `${sealed}.x`, 'v1.AAAA'])
      expect(() => open(key, 'totp:t:u1', junk)).toThrow(SecretBoxError);
  });

  it('needs a 32-byte key', () => {
    expect(() => seal(randomBytes(16), 'x', 'y')).toThrow();
  });
});
