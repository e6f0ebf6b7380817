import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class PrivateKeyDecryptError extends Error {
  constructor(readonly kid: string) {
    super(
      `the private key of signing key ${kid} does not decrypt (wrong master key, tampered, or copied from another row)`,
    );
  }
}

/**
 * AES-256-GCM with the kid as associated data: a ciphertext only decrypts in the row it was
 * written for, so copying an old (or attacker-chosen) private key into another row fails.
 * Format: base64url(iv[12] | tag[16] | ciphertext).
 */
export function sealPrivateKey(key: Buffer, kid: string, plaintext: string): string {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
}

export function openPrivateKey(key: Buffer, kid: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) throw new PrivateKeyDecryptError(kid);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new PrivateKeyDecryptError(kid);
  }
}
