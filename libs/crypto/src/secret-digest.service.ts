import { Injectable } from '@nestjs/common';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { constantTimeEqualHex, deriveKey, hmacHex } from './crypto';

/**
 * Digests for high-entropy secrets (one-time link tokens, refresh tokens, API keys):
 * HMAC-SHA-256 under a pepper derived from the master key. Fast by design (DESIGN.md:
 * never argon2 for these); a stolen table without the master key is useless.
 */
@Injectable()
export class SecretDigest {
  private readonly pepper: Buffer;

  constructor(@InjectConfig() config: TesseraConfig) {
    if (!config.security.masterKey) throw new Error('TESSERA_MASTER_KEY is not resolved');
    this.pepper = deriveKey(config.security.masterKey, 'secret-pepper');
  }

  digest(secret: string): string {
    return hmacHex(this.pepper, secret);
  }

  matches(secret: string, digest: string): boolean {
    return constantTimeEqualHex(this.digest(secret), digest);
  }
}
