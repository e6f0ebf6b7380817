import { Injectable } from '@nestjs/common';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { deriveKey, hmacHex } from '@tessera/crypto';
import { randomInt, timingSafeEqual } from 'node:crypto';
import { normalizeRecoveryCode } from './recovery-codes';
import { open, seal } from './secret-box';

/**
 * MFA's keys, each derived from the master key for one purpose alone (HKDF, @tessera/crypto):
 * TOTP secrets, email codes and recovery-code digests never share a key with each other,
 * with the signing keys or with the secret pepper.
 */
@Injectable()
export class MfaCrypto {
  private readonly totpKey: Buffer;
  private readonly emailKey: Buffer;
  private readonly recoveryKey: Buffer;

  constructor(@InjectConfig() config: TesseraConfig) {
    const master = config.security.masterKey;
    if (!master) throw new Error('TESSERA_MASTER_KEY is not resolved');
    this.totpKey = deriveKey(master, 'mfa-totp');
    this.emailKey = deriveKey(master, 'mfa-email-code');
    this.recoveryKey = deriveKey(master, 'mfa-recovery-code');
  }

  /** Bound to tenant and user: a ciphertext copied into another user's row does not open. */
  sealTotpSecret(tenantId: string, userId: string, secret: string): string {
    return seal(this.totpKey, `totp:${tenantId}:${userId}`, secret);
  }

  /** Throws SecretBoxError when the row's ciphertext is not this user's. */
  openTotpSecret(tenantId: string, userId: string, sealed: string): string {
    return open(this.totpKey, `totp:${tenantId}:${userId}`, sealed);
  }

  /** 6 digits, uniform, from the CSPRNG. */
  newEmailCode(): string {
    return String(randomInt(0, 1_000_000)).padStart(6, '0');
  }

  /** Bound to the challenge (one login or step-up) as well as the user. */
  sealEmailCode(tenantId: string, userId: string, challengeId: string, code: string): string {
    return seal(this.emailKey, `email-code:${tenantId}:${userId}:${challengeId}`, code);
  }

  /** True when `code` is the sealed one (constant time); false when it differs or does not open. */
  emailCodeMatches(
    tenantId: string,
    userId: string,
    challengeId: string,
    sealed: string,
    code: string,
  ): boolean {
    let expected: string;
    try {
      expected = open(this.emailKey, `email-code:${tenantId}:${userId}:${challengeId}`, sealed);
    } catch {
      return false;
    }
    const a = Buffer.from(expected, 'utf8');
    const b = Buffer.from(code, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * HMAC-SHA-256 under the recovery-code key. ~50 random bits per code: without the master
   * key a stolen table is useless; with it, the TOTP secrets are readable anyway, so argon2
   * would cost every check 10 hashes and buy nothing (README: "Recovery codes").
   */
  recoveryDigest(code: string): string | null {
    const c = normalizeRecoveryCode(code);
    return c ? hmacHex(this.recoveryKey, `recovery:${c}`) : null;
  }
}
