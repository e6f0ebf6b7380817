import { Inject, Injectable } from '@nestjs/common';
import { SecretDigest } from '@tessera/crypto';
import { KeyValueStore, KV_STORE } from '@tessera/store';

export type EmailLimitScope = 'signup' | 'verify-resend' | 'password-forgot';

/**
 * Per-address limits on the flows that send mail to an address typed in by an anonymous
 * caller. Beyond the limit the flow answers exactly as usual and sends nothing, so the
 * limit neither leaks whether the address exists nor lets anyone flood a mailbox. (The
 * per-IP limit, @RateLimit('auth'), is the one that answers 429.)
 */
export const EMAIL_LIMITS: Record<EmailLimitScope, { max: number; windowMs: number }> = {
  signup: { max: 5, windowMs: 3600_000 },
  'verify-resend': { max: 3, windowMs: 15 * 60_000 },
  'password-forgot': { max: 5, windowMs: 3600_000 },
};

@Injectable()
export class EmailAttemptLimiter {
  constructor(
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    private readonly digest: SecretDigest,
  ) {}

  /**
   * Counts one attempt for the address; false once it is over the limit of `scope`.
   * Counted whether or not the address exists. The key holds a peppered digest, never the
   * address, so the limiter store is no list of who asked. Throws (503) when the store is
   * unreachable: a limit that cannot count refuses rather than lets everything through.
   */
  async allow(scope: EmailLimitScope, emailNormalized: string): Promise<boolean> {
    const { max, windowMs } = EMAIL_LIMITS[scope];
    const key = `accounts:${scope}:${this.digest.digest(`email-limit:${emailNormalized}`)}`;
    const { count } = await this.store.incrWindow(key, windowMs);
    return count <= max;
  }
}
