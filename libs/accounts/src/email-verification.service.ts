import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { AccountEvents } from '@tessera/auth';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { MailService } from '@tessera/mail';
import { normalizeEmail } from '@tessera/users';
import {
  ACCOUNT_TOKEN_TTL_MS,
  AccountTokenError,
  AccountTokenService,
} from '@tessera/account-tokens';
import { AccountsRepository } from './accounts.repository';
import { EmailAttemptLimiter } from './email-attempt-limiter.service';

/**
 * Email verification: consuming the link activates a pending user and its pending
 * tenant; a resend voids the older link. Every outcome of a link is audited.
 */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly db: TenantDb,
    private readonly lookup: PreTenantLookup,
    private readonly repo: AccountsRepository,
    private readonly tokens: AccountTokenService,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly limiter: EmailAttemptLimiter,
    private readonly events: AccountEvents,
  ) {}

  /**
   * Throws AccountTokenError (link-invalid 400; link-used, link-replaced, link-expired 410)
   * after auditing it in the token's tenant (the platform chain when the token is unknown).
   */
  async verify(token: string): Promise<void> {
    let verified: { tenantId: string; userId: string } | undefined;
    try {
      await this.tokens.consume(token, 'email_verification', async (em, ref) => {
        verified = { tenantId: ref.tenantId, userId: ref.userId };
        const { userActivated, tenantActivated } = await this.repo.markEmailVerified(em, ref);
        await this.audit.record(
          {
            action: 'auth.verify_email',
            outcome: 'success',
            tenantId: ref.tenantId,
            actor: { type: 'anonymous' },
            target: { type: 'user', id: ref.userId },
            params: { userActivated, tenantActivated },
          },
          em,
        );
      });
    } catch (err) {
      if (err instanceof AccountTokenError) {
        await this.audit.record({
          action: 'auth.verify_email',
          outcome: 'failure',
          tenantId: err.ref?.tenantId ?? null,
          actor: { type: 'anonymous' },
          target: err.ref ? { type: 'user', id: err.ref.userId } : undefined,
          reason: err.failure,
        });
      }
      throw err;
    }
    if (verified) await this.events.publish({ type: 'user.profile_changed', ...verified });
  }

  /**
   * Sends a fresh link (voiding the older ones) when the address belongs to an account
   * created by sign-up that is still waiting for verification; otherwise does a comparable
   * amount of work and sends nothing. Resolves the same way in every case.
   */
  async resend(email: string): Promise<void> {
    const emailNormalized = normalizeEmail(email);
    // Beyond the limit: silently nothing (counted for every address alike).
    if (!(await this.limiter.allow('verify-resend', emailNormalized))) return;

    const found = await this.lookup.userByEmail(emailNormalized);
    if (!found || found.status !== 'pending') {
      await this.comparableWork();
      return;
    }
    const sent = await this.db.withTenant(found.tenantId, async (em) => {
      const user = await this.repo.findUser(em, found.id);
      // Invited users (no password yet) activate through their invitation, never through
      // this: otherwise an expired invitation could be revived by its recipient alone.
      if (!user || user.status !== 'pending' || user.emailVerified || !user.hasPassword)
        return null;
      const token = await this.tokens.issue(
        em,
        { tenantId: user.tenantId, userId: user.id },
        'email_verification',
      );
      await this.audit.record(
        {
          action: 'auth.verify_email.resend',
          outcome: 'success',
          tenantId: user.tenantId,
          actor: { type: 'anonymous' },
          target: { type: 'user', id: user.id },
        },
        em,
      );
      return { user, token };
    });
    if (!sent) return;
    this.mail.enqueue('email-verification', sent.user.email, {
      name: sent.user.name,
      link: this.mail.link('verify-email', sent.token),
      expiresInHours: ACCOUNT_TOKEN_TTL_MS.email_verification / 3600_000,
    });
  }

  /** See AccountsRepository.comparableWork: the unknown-address branch costs about the same. */
  private async comparableWork(): Promise<void> {
    await this.db.withTenant(randomUUID(), (em) =>
      this.repo.comparableWork(em, 'email_verification'),
    );
  }
}
