import { aesGcmOpen, aesGcmSeal } from '@tessera/crypto';

const VERSION = 'v1';

/** A sealed value that does not open: wrong key, tampered, or copied from another row. */
export class SecretBoxError extends Error {
  constructor() {
    super('sealed value does not decrypt (wrong key, tampered, or bound to another row)');
    this.name = 'SecretBoxError';
  }
}

/**
 * AES-256-GCM (@tessera/crypto) with associated data naming the row the value belongs to
 * (e.g. `totp:<tenant>:<user>`): a ciphertext copied into another row fails to open.
 * Format: `v1.` + base64url(iv[12] | tag[16] | ciphertext). A fresh random IV per seal.
 */
export function seal(key: Buffer, aad: string, plaintext: string): string {
  return `${VERSION}.${aesGcmSeal(key, aad, plaintext)}`;
}

export function open(key: Buffer, aad: string, sealed: string): string {
  const [version, body, extra] = sealed.split('.');
  if (version !== VERSION || !body || extra !== undefined) throw new SecretBoxError();
  const plain = aesGcmOpen(key, aad, body);
  if (plain === null) throw new SecretBoxError();
  return plain;
}
