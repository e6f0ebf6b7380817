import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that does not open: wrong key, tampered, or copied from another row. */
export class SecretBoxError extends Error {
  constructor() {
    super('sealed value does not decrypt (wrong key, tampered, or bound to another row)');
    this.name = 'SecretBoxError';
  }
}

/**
 * AES-256-GCM (Node's crypto) with associated data naming the row the value belongs to
 * (e.g. `totp:<tenant>:<user>`): a ciphertext copied into another row fails to open.
 * Format: `v1.` + base64url(iv[12] | tag[16] | ciphertext). A fresh random IV per seal.
 */
export function seal(key: Buffer, aad: string, plaintext: string): string {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
}

export function open(key: Buffer, aad: string, sealed: string): string {
  const [version, body, extra] = sealed.split('.');
  if (version !== VERSION || !body || extra !== undefined) throw new SecretBoxError();
  const raw = Buffer.from(body, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) throw new SecretBoxError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new SecretBoxError();
  }
}
