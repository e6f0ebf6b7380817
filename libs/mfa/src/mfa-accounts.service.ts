import { Inject, Injectable } from '@nestjs/common';
import { AuditEntry, AuditService } from '@tessera/audit';
import { AuthorizationCache, isGeneralRole, Permission } from '@tessera/auth';
import { PasswordHasher } from '@tessera/password';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { MfaErrors } from './mfa.errors';
import {
  ACCOUNT_EMAIL_WINDOW_MS,
  ACCOUNT_FAILURE_WINDOW_MS,
  ACCOUNT_MAX_EMAIL_SENDS,
  ACCOUNT_MAX_FAILURES,
  MfaStanding,
  PASSWORD_ATTEMPTS,
  PASSWORD_WINDOW_MS,
  standing,
} from './mfa-policy';
import { MfaAccount, MfaRepository } from './mfa.repository';

/** Who did it, for the audit rows of this module (a principal's, or a login's MFA token). */
export type MfaActor = Pick<AuditEntry, 'actor' | 'credential'>;

/**
 * A person's MFA standing (what is required, what is usable) and the per-account limits
 * shared by every instance through the store: failed second-factor checks, email sends and
 * current-password checks. Keys hold user ids only, never codes.
 */
@Injectable()
export class MfaAccounts {
  constructor(
    private readonly repo: MfaRepository,
    private readonly authz: AuthorizationCache,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    @Inject(KV_STORE) private readonly store: KeyValueStore,
  ) {}

  /** The account and its standing; permissions as held NOW (general role, task and custom roles). */
  async load(
    tenantId: string,
    userId: string,
  ): Promise<{ account: MfaAccount; standing: MfaStanding } | null> {
    const account = await this.repo.account(tenantId, userId);
    if (!account || !isGeneralRole(account.role)) return null;
    const authz = await this.authz.forUser(userId, tenantId);
    const permissions: Iterable<Permission> = authz?.permissions ?? [];
    return {
      account,
      standing: standing({
        role: authz?.role ?? account.role,
        permissions,
        tenantSettings: account.settings,
        emailVerified: account.emailVerified,
        totpActive: account.totp === 'active',
        recoveryCodesLeft: account.recoveryCodesLeft,
      }),
    };
  }

  private failKey = (userId: string) => `mfa:fail:${userId}`;

  /** 429 while the account has used up its failed checks for the window. */
  async assertNotLockedOut(userId: string): Promise<void> {
    const n = Number((await this.store.get(this.failKey(userId))) ?? 0);
    if (n >= ACCOUNT_MAX_FAILURES) {
      const ttl = await this.store.ttl(this.failKey(userId));
      throw MfaErrors.tooManyAttempts(
        (ttl > 0 ? ttl : ACCOUNT_FAILURE_WINDOW_MS) / 1000,
        'Too many wrong codes for this account; retry after the time given in Retry-After.',
      );
    }
  }

  /** Counts a failed check; true when it used up the account's allowance (audited once, tier 3). */
  async recordFailure(tenantId: string, userId: string, actor: MfaActor): Promise<boolean> {
    const { count, ttlMs } = await this.store.incrWindow(
      this.failKey(userId),
      ACCOUNT_FAILURE_WINDOW_MS,
    );
    if (count !== ACCOUNT_MAX_FAILURES) return count > ACCOUNT_MAX_FAILURES;
    await this.audit.record({
      action: 'mfa.lockout',
      outcome: 'success',
      tenantId,
      ...actor,
      target: { type: 'user', id: userId },
      riskTier: 3,
      params: { failures: count, retryAfterSeconds: Math.ceil(ttlMs / 1000) },
      reason: 'too many failed second-factor checks',
    });
    return true;
  }

  /** 429 past the per-account email allowance (the per-challenge one is the challenge's). */
  async reserveEmailSend(userId: string): Promise<void> {
    const { count, ttlMs } = await this.store.incrWindow(
      `mfa:send:${userId}`,
      ACCOUNT_EMAIL_WINDOW_MS,
    );
    if (count > ACCOUNT_MAX_EMAIL_SENDS)
      throw MfaErrors.tooManyAttempts(
        ttlMs / 1000,
        'Too many codes sent; retry after the time given in Retry-After.',
      );
  }

  /**
   * The current password, for the self-service routes. Counted first (5 per 15 min per user:
   * a stolen access token must not become a password oracle), then verified with argon2id.
   */
  async checkPassword(
    account: MfaAccount,
    password: string,
    fail: (reason: string) => Promise<void>,
  ): Promise<void> {
    const { count, ttlMs } = await this.store.incrWindow(
      `mfa:pw:${account.id}`,
      PASSWORD_WINDOW_MS,
    );
    if (count > PASSWORD_ATTEMPTS) {
      await fail('password_attempts_exceeded');
      throw MfaErrors.tooManyAttempts(ttlMs / 1000);
    }
    const ok = account.passwordHash
      ? (await this.hasher.verify(account.passwordHash, password)).ok
      : await this.hasher.verifyDummy(password);
    if (!ok) {
      await fail('invalid_current_password');
      throw MfaErrors.invalidCurrentPassword();
    }
  }
}
