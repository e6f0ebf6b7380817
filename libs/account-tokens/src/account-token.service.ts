import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { randomToken, SecretDigest } from '@tessera/crypto';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';

export type AccountTokenPurpose = 'email_verification' | 'invitation' | 'password_reset';

/** Lifetimes from the Accounts issue: 24 h verification, 7 days invitation, 30 min reset. */
export const ACCOUNT_TOKEN_TTL_MS: Record<AccountTokenPurpose, number> = {
  email_verification: 24 * 3600_000,
  invitation: 7 * 24 * 3600_000,
  password_reset: 30 * 60_000,
};

export type AccountTokenFailure = 'link-invalid' | 'link-used' | 'link-replaced' | 'link-expired';

const FAILURES: Record<AccountTokenFailure, [status: number, title: string, detail: string]> = {
  'link-invalid': [400, 'Invalid link', 'This link is not valid. Request a new one.'],
  'link-used': [410, 'Link already used', 'This link has already been used.'],
  'link-replaced': [410, 'Link replaced', 'A newer link was sent; use the most recent one.'],
  'link-expired': [410, 'Link expired', 'This link has expired. Request a new one.'],
};

/** A refused one-time link, with whose it was (when known) so the caller can audit it. */
export class AccountTokenError extends ProblemError {
  constructor(
    readonly failure: AccountTokenFailure,
    readonly ref?: { tenantId: string; userId: string },
  ) {
    const [status, title, detail] = FAILURES[failure];
    super(status, failure, title, detail);
  }
}

export interface AccountTokenRef {
  id: string;
  tenantId: string;
  userId: string;
}

/**
 * One-time link tokens (verification, invitation, reset): 256 random bits, only an HMAC
 * digest stored, single use, expiring, and a newer token of the same purpose voids the
 * older ones.
 */
@Injectable()
export class AccountTokenService {
  constructor(
    private readonly db: TenantDb,
    private readonly lookup: PreTenantLookup,
    private readonly digest: SecretDigest,
  ) {}

  /** Issues a token inside the caller's transaction (tenant already set). Returns the secret once. */
  async issue(em: EntityManager, user: { tenantId: string; userId: string }, purpose: AccountTokenPurpose): Promise<string> {
    await em.execute(
      `update account_tokens set superseded_at = now()
        where user_id = ? and purpose = ? and used_at is null and superseded_at is null`,
      [user.userId, purpose],
    );
    const token = randomToken(32);
    await em.execute(
      `insert into account_tokens (tenant_id, user_id, purpose, token_digest, expires_at)
       values (?, ?, ?, ?, now() + make_interval(secs => ?))`,
      [user.tenantId, user.userId, purpose, this.digest.digest(token), ACCOUNT_TOKEN_TTL_MS[purpose] / 1000],
    );
    return token;
  }

  /**
   * Consumes a token atomically and runs `fn` in the same transaction (tenant set to the
   * token's). Throws AccountTokenError (after its own transaction) when the token is
   * unknown, of another purpose, used, replaced or expired; nothing else changes then.
   */
  async consume<T>(token: string, purpose: AccountTokenPurpose, fn: (em: EntityManager, ref: AccountTokenRef) => Promise<T>): Promise<T> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw new AccountTokenError('link-invalid');
    const found = await this.lookup.accountToken(this.digest.digest(token));
    if (!found || found.purpose !== purpose) throw new AccountTokenError('link-invalid');
    const ref: AccountTokenRef = { id: found.id, tenantId: found.tenantId, userId: found.userId };
    let failure: AccountTokenFailure | undefined;
    const result = await this.db.withTenant(ref.tenantId, async (em) => {
      const claimed = await em.execute<{ id: string }[]>(
        `update account_tokens set used_at = now()
          where id = ? and used_at is null and superseded_at is null and expires_at > now() returning id`,
        [ref.id],
      );
      if (!claimed.length) {
        const [row] = await em.execute<{ used: boolean; superseded: boolean; expired: boolean }[]>(
          `select used_at is not null as used, superseded_at is not null as superseded, expires_at <= now() as expired
             from account_tokens where id = ?`,
          [ref.id],
        );
        failure = !row ? 'link-invalid' : row.used ? 'link-used' : row.superseded ? 'link-replaced' : 'link-expired';
        return undefined;
      }
      return { value: await fn(em, ref) };
    });
    if (failure || !result) throw new AccountTokenError(failure ?? 'link-invalid', { tenantId: ref.tenantId, userId: ref.userId });
    return result.value;
  }
}
