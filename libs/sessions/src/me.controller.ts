import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, isDelegated, Principal, RequirePermissions } from '@tessera/auth';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';

export interface MeResponse {
  user: { id: string; email: string; name: string; status: string; emailVerified: boolean } | null;
  tenant: { id: string; slug: string; name: string };
  roles: { general: string; task: string[] };
  /** The caller's effective permissions now (sorted). */
  permissions: string[];
  /** How the caller authenticated: a session, or a delegated credential. */
  credential: { type: string; id: string; test: boolean; scopes?: string[] };
  session: { id: string; amr: string[]; acr: string; authTime: string } | null;
}

@ApiTags('sessions')
@Controller('v1/me')
export class MeSessionController {
  constructor(
    private readonly lookup: PreTenantLookup,
    private readonly db: TenantDb,
  ) {}

  @RequirePermissions('self:read')
  @Get()
  @ApiOperation({ summary: 'Who am I: user, tenant, roles, effective permissions and the credential (session: amr, acr, auth_time).' })
  async me(@CurrentPrincipal() p: Principal): Promise<MeResponse> {
    const row = p.userId ? await this.lookup.sessionProfile(p.userId, p.tenantId) : null;
    const tenant = row ? { id: row.tid, slug: row.slug, name: row.tname } : await this.tenant(p.tenantId);
    if ((p.userId && !row) || !tenant) throw ProblemError.unauthorized();
    const session = p.kind === 'session' ? p : null;
    return {
      user: row ? { id: row.id, email: row.email, name: row.name, status: row.status, emailVerified: row.verified } : null,
      tenant,
      roles: { general: p.role, task: [...p.taskRoles] },
      permissions: [...p.permissions].sort(),
      credential:
        p.kind === 'session'
          ? { type: 'session', id: p.sessionId, test: false }
          : isDelegated(p)
            ? { type: p.kind, id: p.credentialId, test: p.testMode, scopes: [...p.scopes] }
            : { type: p.kind, id: p.tokenId, test: false },
      session: session ? { id: session.sessionId, amr: session.amr, acr: session.acr, authTime: new Date(session.authTime * 1000).toISOString() } : null,
    };
  }

  /** An integration (S2S) has no user: its tenant alone. */
  private async tenant(tenantId: string) {
    const rows = await this.db.withTenant(tenantId, (em) =>
      em.execute<{ id: string; slug: string; name: string }[]>('select id, slug, name from tenants where id = ?', [tenantId]),
    );
    return rows[0] ?? null;
  }
}
