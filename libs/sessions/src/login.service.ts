import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { MailService } from '@tessera/mail';
import { PasswordHasher } from '@tessera/password';
import { CredentialsService, LoginAccount, normalizeEmail } from '@tessera/users';
import { BruteForceProtection, LOCK_AFTER_FAILURES } from './brute-force.service';
import { PasswordVerifiedUser } from './login-gate';

/** The one answer for every failed login: unknown user, wrong password, locked, disabled... */
export const invalidCredentials = () =>
  new ProblemError(401, 'invalid-credentials', 'Invalid credentials', 'The email or password is incorrect.', {}, {
    'WWW-Authenticate': 'Bearer realm="tessera"',
  });

function tenantUsable(user: LoginAccount, slug?: string): boolean {
  return user.tenantStatus === 'active' && (slug === undefined || user.tenantSlug === slug.toLowerCase());
}

/**
 * Password authentication with brute-force protection. Every failure looks the same to
 * the caller and costs one argon2id verification (a dummy one when there is no user or the
 * account is locked); the real reason goes to the audit row only.
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly lookup: PreTenantLookup,
    private readonly db: TenantDb,
    private readonly hasher: PasswordHasher,
    private readonly brute: BruteForceProtection,
    private readonly audit: AuditService,
    private readonly mail: MailService,
  ) {}

  async verifyPassword(email: string, password: string, tenantSlug?: string): Promise<PasswordVerifiedUser> {
    const emailNormalized = normalizeEmail(email);
    const attempt = await this.brute.reserveUnlessLocked(emailNormalized);
    if (attempt > LOCK_AFTER_FAILURES) {
      await this.hasher.verifyDummy(password);
      const known = await this.lookup.userByEmail(emailNormalized);
      await this.fail(known?.tenantId ?? null, known?.id ?? null, 'account_locked');
      throw invalidCredentials();
    }
    const { known, user } = await this.credentials.checkPasswordForLogin(emailNormalized, password);
    let reason: string | null = null;
    if (!user) reason = !known ? 'unknown_user' : known.status !== 'active' ? `user_${known.status}` : 'bad_password_or_no_password';
    // The tenant as read with the password hash, before argon2; session_start() checks it
    // again, atomically with the session insert.
    else if (!tenantUsable(user, tenantSlug)) reason = tenantSlug ? 'tenant_mismatch_or_inactive' : 'tenant_not_active';
    if (reason || !user) {
      const lock = attempt === LOCK_AFTER_FAILURES ? await this.brute.lock(emailNormalized) : null;
      await this.fail(known?.tenantId ?? null, known?.id ?? null, reason ?? 'unknown');
      if (lock && known && known.status === 'active') await this.onLocked(known.tenantId, known.id, lock);
      throw invalidCredentials();
    }
    await this.brute.recordSuccess(emailNormalized);
    return { id: user.id, tenantId: user.tenantId };
  }

  private async fail(tenantId: string | null, userId: string | null, reason: string): Promise<void> {
    await this.audit.record({
      action: 'auth.login',
      outcome: 'failure',
      decision: 'deny',
      tenantId,
      actor: userId ? { type: 'user', id: userId } : { type: 'anonymous' },
      credential: { type: 'password' },
      reason,
    });
  }

  private async onLocked(tenantId: string, userId: string, durationMs: number): Promise<void> {
    const until = new Date(Date.now() + durationMs);
    const [u] = await this.db.withTenant(tenantId, (em) =>
      em.execute<{ email: string; name: string }[]>('select email, name from users where id = ?', [userId]),
    );
    await this.audit.record({
      action: 'auth.lockout',
      outcome: 'success',
      tenantId,
      actor: { type: 'system' },
      target: { type: 'user', id: userId },
      riskTier: 3,
      params: { until: until.toISOString(), durationSeconds: Math.round(durationMs / 1000) },
      reason: 'repeated failed logins',
    });
    if (u) this.mail.enqueue('account-locked', u.email, { name: u.name, until });
  }
}
