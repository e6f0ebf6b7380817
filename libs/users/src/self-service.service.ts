import { LockMode } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { AccountEvents, UserPrincipal } from '@tessera/auth';
import { TenantDb } from '@tessera/database';
import { MailService } from '@tessera/mail';
import { PasswordHasher, PasswordPolicyService } from '@tessera/password';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { readTenant } from './tenant-info';
import { User } from './user.entity';
import { UsersErrors } from './users.errors';
import { auditActor, userActor } from './users-actor';

/** Per-user limit on password-change attempts (on top of the per-IP `auth` limit). */
export const PASSWORD_CHANGE_ATTEMPTS = 5;
export const PASSWORD_CHANGE_WINDOW_MS = 15 * 60_000;

/**
 * What a signed-in user does to its own account: rename itself, change its password (the
 * current one required). Always in the caller's own tenant, on the caller's own row.
 */
@Injectable()
export class SelfService {
  constructor(
    private readonly db: TenantDb,
    private readonly policy: PasswordPolicyService,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly events: AccountEvents,
    private readonly mail: MailService,
    @Inject(KV_STORE) private readonly store: KeyValueStore,
  ) {}

  async updateName(principal: UserPrincipal, name: string): Promise<User> {
    const updated = await this.db.withTenant(principal.tenantId, async (em) => {
      const user = await em.findOne(User, { id: principal.userId });
      if (!user) throw UsersErrors.notFound();
      if (user.name !== name) {
        user.name = name;
        await em.flush();
        await this.audit.record(
          {
            action: 'user.update',
            outcome: 'success',
            tenantId: user.tenantId,
            ...auditActor(userActor(principal)),
            target: { type: 'user', id: user.id },
            riskTier: 2,
            params: { fields: ['name'], self: true },
          },
          em,
        );
      }
      return user;
    });
    await this.events.publish({ type: 'user.profile_changed', tenantId: principal.tenantId, userId: principal.userId });
    return updated;
  }

  /**
   * Order matters: the new password's policy is checked first (a weak choice costs no
   * attempt), then the attempt is counted (5 per 15 min per user: a stolen access token must
   * not become an oracle for the password), then the current password is verified.
   * Succeeds with a new argon2id hash, a `password-changed` mail and, after the commit,
   * `user.password_changed` (reason `change`) for the Sessions issue to revoke sessions.
   */
  async changePassword(
    principal: UserPrincipal,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const { tenantId, userId } = principal;
    const actor = auditActor(userActor(principal));
    const fail = (reason: string) =>
      this.audit.record({
        action: 'user.password_change',
        outcome: 'failure',
        decision: reason === 'rate-limited' ? 'deny' : 'allow',
        tenantId,
        ...actor,
        target: { type: 'user', id: userId },
        riskTier: 2,
        reason,
      });

    const subject = await this.db.withTenant(tenantId, async (em) => ({
      user: await em.findOne(User, { id: userId }),
      tenant: await readTenant(em, tenantId),
    }));
    if (!subject.user || !subject.tenant || subject.user.status !== 'active')
      throw UsersErrors.notFound();
    const { user, tenant } = subject;
    try {
      this.policy.assertAcceptable(newPassword, {
        email: user.email,
        name: user.name,
        tenantName: tenant.name,
        policy: tenant.settings.passwordPolicy ?? null,
      });
    } catch (err) {
      await fail('weak-password');
      throw err;
    }

    const { count, ttlMs } = await this.store.incrWindow(
      `password-change:${userId}`,
      PASSWORD_CHANGE_WINDOW_MS,
    );
    if (count > PASSWORD_CHANGE_ATTEMPTS) {
      await fail('rate-limited');
      throw UsersErrors.tooManyAttempts(Math.ceil(ttlMs / 1000));
    }

    const previousHash = user.passwordHash;
    const verified = previousHash
      ? await this.hasher.verify(previousHash, currentPassword)
      : { ok: await this.hasher.verifyDummy(currentPassword) };
    if (!verified.ok) {
      await fail('invalid-current-password');
      throw UsersErrors.invalidCurrentPassword();
    }
    const newHash = await this.hasher.hash(newPassword);

    await this.db.withTenant(tenantId, async (em) => {
      const locked = await em.findOne(
        User,
        { id: userId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      // Someone changed it since we verified: the current password we checked is no longer current.
      if (!locked || locked.passwordHash !== previousHash)
        throw UsersErrors.passwordChangedConcurrently();
      locked.passwordHash = newHash;
      locked.passwordChangedAt = new Date();
      await em.flush();
      await this.audit.record(
        {
          action: 'user.password_change',
          outcome: 'success',
          tenantId,
          ...actor,
          target: { type: 'user', id: userId },
          riskTier: 2,
        },
        em,
      );
    });
    this.mail.enqueue('password-changed', user.email, { name: user.name });
    await this.events.publish({
      type: 'user.password_changed',
      tenantId,
      userId,
      reason: 'change',
    });
  }
}
