import { aesGcmOpen, aesGcmSeal } from '@tessera/crypto';

export class PrivateKeyDecryptError extends Error {
  constructor(readonly kid: string) {
    super(
      `the private key of signing key ${kid} does not decrypt (wrong master key, tampered, or copied from another row)`,
    );
  }
}

/**
 * AES-256-GCM with the kid as associated data (@tessera/crypto): a ciphertext only decrypts
 * in the row it was written for, so copying an old (or attacker-chosen) private key into
 * another row fails. Format: base64url(iv[12] | tag[16] | ciphertext).
 */
export function sealPrivateKey(key: Buffer, kid: string, plaintext: string): string {
  return aesGcmSeal(key, kid, plaintext);
}

export function openPrivateKey(key: Buffer, kid: string, sealed: string): string {
  const plain = aesGcmOpen(key, kid, sealed);
  if (plain === null) throw new PrivateKeyDecryptError(kid);
  return plain;
}
