import { Injectable } from '@nestjs/common';
import { Principal } from '@tessera/auth';
import { TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { User, UserAccess, userActor } from '@tessera/users';
import { SessionService, SessionView } from './session.service';

/**
 * Admin view of another user's sessions: same reach rules as the users API (own tenant,
 * or a descendant for domain/system admins; out of reach = 404, audited) and nobody
 * terminates the sessions of a user whose role is above their own.
 */
@Injectable()
export class UserSessionsService {
  constructor(
    private readonly access: UserAccess,
    private readonly db: TenantDb,
    private readonly sessions: SessionService,
  ) {}

  async list(p: Principal, userId: string): Promise<SessionView[]> {
    const tenantId = await this.access.tenantOfUser(userActor(p), userId);
    return this.sessions.list(tenantId, userId);
  }

  async terminateAll(p: Principal, userId: string): Promise<void> {
    const tenantId = await this.target(p, userId);
    await this.sessions.revokeUserSessions(tenantId, userId, 'admin_terminated', { action: 'session.terminate_all', by: p });
  }

  async terminate(p: Principal, userId: string, sessionId: string): Promise<void> {
    const tenantId = await this.target(p, userId);
    const ok = await this.sessions.revokeSession(tenantId, userId, sessionId, 'admin_terminated', { action: 'session.terminate', by: p });
    if (!ok) throw ProblemError.notFound('No such session.');
  }

  private async target(p: Principal, userId: string): Promise<string> {
    const actor = userActor(p);
    const tenantId = await this.access.tenantOfUser(actor, userId);
    const user = await this.db.withTenant(tenantId, (em) => em.findOne(User, { id: userId }));
    if (!user) throw ProblemError.notFound();
    this.access.assertMayManage(actor, user);
    return tenantId;
  }
}
