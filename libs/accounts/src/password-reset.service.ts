import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { AccountEvents } from '@tessera/auth';
import { SecretDigest } from '@tessera/crypto';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { MailService } from '@tessera/mail';
import { PasswordHasher, PasswordPolicyService, WeakPasswordError } from '@tessera/password';
import { emailDomain, normalizeEmail } from '@tessera/users';
import {
  ACCOUNT_TOKEN_TTL_MS,
  AccountTokenError,
  AccountTokenService,
} from '@tessera/account-tokens';
import { AccountsRepository, AccountUser, TenantPasswordContext } from './accounts.repository';
import { EmailAttemptLimiter } from './email-attempt-limiter.service';

/** The same shape AccountTokenService accepts; anything else cannot be a token. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

interface ResetTarget {
  user: AccountUser;
  tenant: TenantPasswordContext | null;
}

/**
 * Forgotten password: a single-use, 30-minute link mailed to active users, and the reset
 * that consumes it. After a reset, `user.password_changed` (reason `reset`) is published
 * on AccountEvents once the change has committed: the Sessions issue revokes the user's
 * sessions and tokens there.
 */
@Injectable()
export class PasswordResetService {
  constructor(
    private readonly db: TenantDb,
    private readonly lookup: PreTenantLookup,
    private readonly repo: AccountsRepository,
    private readonly tokens: AccountTokenService,
    private readonly digest: SecretDigest,
    private readonly policy: PasswordPolicyService,
    private readonly hasher: PasswordHasher,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly events: AccountEvents,
    private readonly limiter: EmailAttemptLimiter,
  ) {}

  /**
   * Mails a reset link when the address belongs to an active user; otherwise sends
   * nothing. Every branch does the same database work (a lookup, then one transaction
   * that reads a user, touches tokens and appends an audit row), so neither the answer
   * nor its time says which branch ran.
   */
  async requestReset(email: string): Promise<void> {
    const emailNormalized = normalizeEmail(email);
    const domain = emailDomain(emailNormalized);
    if (!(await this.limiter.allow('password-forgot', emailNormalized))) {
      await this.audit.record({
        action: 'auth.password_reset.request',
        outcome: 'failure',
        decision: 'deny',
        tenantId: null,
        actor: { type: 'anonymous' },
        reason: 'email_rate_limited',
        params: { emailDomain: domain },
      });
      return;
    }

    const found = await this.lookup.userByEmail(emailNormalized);
    if (!found) {
      // Audited on the platform chain (no tenant is known): enumeration shows up there.
      await this.db.withTenant(randomUUID(), (em) =>
        this.repo.comparableWork(em, 'password_reset'),
      );
      await this.audit.record({
        action: 'auth.password_reset.request',
        outcome: 'failure',
        tenantId: null,
        actor: { type: 'anonymous' },
        reason: 'unknown_account',
        params: { emailDomain: domain },
      });
      return;
    }

    const issued = await this.db.withTenant(found.tenantId, async (em) => {
      const user = await this.repo.findUser(em, found.id);
      if (!user) return null;
      // Pending users verify first (or activate their invitation); disabled users stay out.
      // Single sign-on users do not exist yet: the SSO issue must refuse them here.
      const eligible = user.status === 'active';
      const token = eligible
        ? await this.tokens.issue(
            em,
            { tenantId: user.tenantId, userId: user.id },
            'password_reset',
          )
        : null;
      await this.audit.record(
        {
          action: 'auth.password_reset.request',
          outcome: eligible ? 'success' : 'failure',
          tenantId: user.tenantId,
          actor: { type: 'anonymous' },
          target: { type: 'user', id: user.id },
          reason: eligible ? undefined : `user_${user.status}`,
        },
        em,
      );
      return token ? { user, token } : null;
    });
    if (!issued) return;
    this.mail.enqueue('password-reset', issued.user.email, {
      name: issued.user.name,
      link: this.mail.link('reset-password', issued.token),
      expiresInMinutes: ACCOUNT_TOKEN_TTL_MS.password_reset / 60_000,
    });
  }

  /**
   * Sets a new password through a reset link. The policy is checked (against the link's
   * user and tenant) BEFORE the link is consumed, so a weak password does not burn it.
   * Throws WeakPasswordError (400) or AccountTokenError (400/410), each audited.
   */
  async resetPassword(token: string, password: string): Promise<void> {
    const target = await this.usableTarget(token);
    if (target) {
      try {
        this.policy.assertAcceptable(password, {
          email: target.user.email,
          name: target.user.name,
          tenantName: target.tenant?.tenantName,
          policy: target.tenant?.policy,
        });
      } catch (err) {
        if (err instanceof WeakPasswordError)
          await this.auditCompleteFailure(target.user, 'weak_password');
        throw err;
      }
    }
    // Hashed outside the transaction: the row locks are not held for argon2's ~50 ms.
    const passwordHash = target ? await this.hasher.hash(password) : null;

    let refusal: string | undefined;
    let user: AccountUser;
    try {
      user = await this.tokens.consume(token, 'password_reset', async (em, ref) => {
        // The link became usable between our look and the claim (cannot happen for a real
        // link, whose state only moves forward): refuse it, untouched.
        if (!passwordHash) throw new AccountTokenError('link-invalid', ref);
        const updated = await this.repo.setPasswordOfActiveUser(em, ref.userId, passwordHash);
        if (!updated) {
          // Disabled since the link was sent: refused, and the rollback leaves the link unused.
          refusal = 'user_not_active';
          throw new AccountTokenError('link-invalid', ref);
        }
        await this.audit.record(
          {
            action: 'auth.password_reset.complete',
            outcome: 'success',
            tenantId: ref.tenantId,
            actor: { type: 'anonymous' },
            target: { type: 'user', id: ref.userId },
          },
          em,
        );
        return updated;
      });
    } catch (err) {
      if (err instanceof AccountTokenError) {
        await this.audit.record({
          action: 'auth.password_reset.complete',
          outcome: 'failure',
          tenantId: err.ref?.tenantId ?? null,
          actor: { type: 'anonymous' },
          target: err.ref ? { type: 'user', id: err.ref.userId } : undefined,
          reason: refusal ?? err.failure,
        });
      }
      throw err;
    }

    this.mail.enqueue('password-changed', user.email, { name: user.name });
    // After the commit, and awaited: the Sessions issue revokes sessions in this handler,
    // and the response must not say "done" before that has happened.
    await this.events.publish({
      type: 'user.password_changed',
      tenantId: user.tenantId,
      userId: user.id,
      reason: 'reset',
    });
  }

  /**
   * The user and tenant of a reset link that can still be used, or null (unknown, other
   * purpose, used, replaced or expired: consume() then reports exactly which).
   */
  private async usableTarget(token: string): Promise<ResetTarget | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const found = await this.lookup.accountToken(this.digest.digest(token));
    if (!found || found.purpose !== 'password_reset') return null;
    return this.db.withTenant(found.tenantId, async (em) => {
      if (!(await this.repo.isTokenUsable(em, found.id))) return null;
      const user = await this.repo.findUser(em, found.userId);
      if (!user) return null;
      return { user, tenant: await this.repo.tenantPasswordContext(em, found.tenantId) };
    });
  }

  private async auditCompleteFailure(user: AccountUser, reason: string): Promise<void> {
    await this.audit.record({
      action: 'auth.password_reset.complete',
      outcome: 'failure',
      tenantId: user.tenantId,
      actor: { type: 'anonymous' },
      target: { type: 'user', id: user.id },
      reason,
    });
  }
}
