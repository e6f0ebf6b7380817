import { Inject, Injectable } from '@nestjs/common';
import { AccountTokenError, AccountTokenService } from '@tessera/account-tokens';
import { AuditService } from '@tessera/audit';
import { AccountEvents } from '@tessera/auth';
import { SecretDigest } from '@tessera/crypto';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { PasswordHasher, PasswordPolicyService } from '@tessera/password';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { readTenant, TenantInfo } from './tenant-info';
import { User } from './user.entity';
import { UsersErrors } from './users.errors';

/** Per-token limit on activation attempts (on top of the per-IP `auth` limit). */
export const ACTIVATION_ATTEMPTS_PER_TOKEN = 5;
export const ACTIVATION_WINDOW_MS = 15 * 60_000;

/**
 * Activation of an invited user: the invitation link's token plus a new password. The
 * password policy is checked BEFORE the token is consumed, so a weak password does not burn
 * the link; the password is hashed before the consuming transaction, so no row lock is held
 * during argon2.
 */
@Injectable()
export class ActivationService {
  constructor(
    private readonly db: TenantDb,
    private readonly preTenant: PreTenantLookup,
    private readonly tokens: AccountTokenService,
    private readonly digest: SecretDigest,
    private readonly policy: PasswordPolicyService,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly events: AccountEvents,
    @Inject(KV_STORE) private readonly store: KeyValueStore,
  ) {}

  async activate(token: string, password: string): Promise<User> {
    const digest = this.digest.digest(token);
    // Counted before anything else, keyed by the digest (the token itself never reaches the store).
    const { count, ttlMs } = await this.store.incrWindow(
      `activate:${digest}`,
      ACTIVATION_WINDOW_MS,
    );
    if (count > ACTIVATION_ATTEMPTS_PER_TOKEN) {
      await this.failed('rate-limited', undefined, 'deny');
      throw UsersErrors.tooManyAttempts(Math.ceil(ttlMs / 1000));
    }

    // Read phase: is the link usable, and does the password pass the policy for this user
    // (its email and name, the tenant's name and policy)? Nothing is consumed yet.
    const found = await this.preTenant.accountToken(digest);
    const subject =
      found?.purpose === 'invitation'
        ? await this.db.withTenant(found.tenantId, async (em) => {
            const [state] = await em.execute<{ usable: boolean }[]>(
              'select (used_at is null and superseded_at is null and expires_at > now()) as usable from account_tokens where id = ?',
              [found.id],
            );
            const user = await em.findOne(User, { id: found.userId });
            const tenant = await readTenant(em, found.tenantId);
            return state?.usable && user?.status === 'pending' && tenant ? { user, tenant } : null;
          })
        : null;
    let checkedFor: string | undefined;
    let hash: string | undefined;
    if (subject && found) {
      try {
        checkedFor = this.checkPolicy(password, subject.user, subject.tenant);
      } catch (err) {
        await this.failed('weak-password', found);
        throw err;
      }
      // Hashed outside the consuming transaction (no row lock held during argon2), and only
      // for a usable link: a dead link costs no hash.
      hash = await this.hasher.hash(password);
    }

    let user: User;
    try {
      // For a dead link, consume() throws the precise failure (used, replaced, expired, invalid).
      user = await this.tokens.consume(token, 'invitation', async (em, ref) => {
        const target = await em.findOne(User, { id: ref.userId });
        // Disabled (or otherwise not pending) since the link was sent: the link is void.
        if (!hash || !target || target.status !== 'pending')
          throw new AccountTokenError('link-invalid', ref);
        const tenant = await readTenant(em, ref.tenantId);
        if (!tenant) throw new AccountTokenError('link-invalid', ref);
        // Re-checked only if the personal data changed since the read phase.
        if (checkedFor !== this.fingerprint(target, tenant.name))
          this.checkPolicy(password, target, tenant);
        const now = new Date();
        target.passwordHash = hash;
        target.status = 'active';
        target.emailVerifiedAt ??= now; // the invitation mail proved the mailbox
        target.passwordChangedAt = now;
        await em.flush();
        await this.audit.record(
          {
            action: 'auth.activate',
            outcome: 'success',
            tenantId: ref.tenantId,
            actor: { type: 'anonymous' },
            target: { type: 'user', id: target.id },
            riskTier: 2,
          },
          em,
        );
        return target;
      });
    } catch (err) {
      if (err instanceof AccountTokenError) await this.failed(err.failure, err.ref);
      else if (err instanceof ProblemError && err.code === 'weak-password' && found) {
        await this.failed('weak-password', { tenantId: found.tenantId, userId: found.userId });
      }
      throw err;
    }
    await this.events.publish({
      type: 'user.password_changed',
      tenantId: user.tenantId,
      userId: user.id,
      reason: 'activation',
    });
    return user;
  }

  /** Throws the 400 `weak-password` problem, or returns a fingerprint of the data it checked against. */
  private checkPolicy(password: string, user: User, tenant: TenantInfo): string {
    this.policy.assertAcceptable(password, {
      email: user.email,
      name: user.name,
      tenantName: tenant.name,
      policy: tenant.settings.passwordPolicy ?? null,
    });
    return this.fingerprint(user, tenant.name);
  }

  private fingerprint(user: User, tenantName: string): string {
    return JSON.stringify([user.email, user.name, tenantName]);
  }

  private async failed(
    reason: string,
    ref?: { tenantId: string; userId: string },
    decision: 'allow' | 'deny' = 'allow',
  ): Promise<void> {
    await this.audit.record({
      action: 'auth.activate',
      outcome: 'failure',
      decision,
      tenantId: ref?.tenantId ?? null,
      actor: { type: 'anonymous' },
      target: { type: 'user', id: ref?.userId ?? null },
      riskTier: 2,
      reason,
    });
  }
}
