import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { isGeneralRole, Principal, principalAudit } from '@tessera/auth';
import { MailService } from '@tessera/mail';
import { SessionService } from '@tessera/sessions';
import { User, UserAccess, userActor, UsersErrors } from '@tessera/users';
import { MfaErrors } from './mfa.errors';
import { MfaRepository } from './mfa.repository';

/**
 * An administrator removes another user's second factors (lost phone and recovery codes):
 * the users API's reach rules (other tenant → 404, audited), nobody above one's own role
 * (403), never oneself (409: use the self-service route with password and code). Every
 * session of the user ends; the next login asks for a new enrolment if MFA is required.
 */
@Injectable()
export class MfaAdminService {
  constructor(
    private readonly access: UserAccess,
    private readonly repo: MfaRepository,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly mail: MailService,
  ) {}

  async reset(p: Principal, userId: string): Promise<void> {
    const actor = userActor(p);
    const tenantId = await this.access.tenantOfUser(actor, userId);
    const done = await this.repo.tx(tenantId, async (em) => {
      const account = await this.repo.account(tenantId, userId, em);
      if (!account || !isGeneralRole(account.role)) throw UsersErrors.notFound();
      this.access.assertMayManage(actor, { id: account.id, role: account.role } as User);
      if (p.userId === userId) throw MfaErrors.cannotTargetSelf();
      const removed = await this.repo.removeFactors(em, userId, 'admin_reset');
      await this.audit.record(
        {
          action: 'mfa.reset',
          outcome: 'success',
          tenantId,
          ...principalAudit(p),
          target: { type: 'user', id: userId },
          riskTier: 3,
          params: { removed },
        },
        em,
      );
      return account;
    });
    await this.sessions.revokeUserSessions(tenantId, userId, 'mfa_reset', {
      action: 'session.revoke_all',
      by: p,
    });
    this.mail.enqueue('mfa-changed', done.email, { name: done.name, change: 'reset-by-admin' });
  }
}
