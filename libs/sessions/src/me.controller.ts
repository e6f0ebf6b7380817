import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal } from '@tessera/auth';
import { TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';

export interface MeResponse {
  user: { id: string; email: string; name: string; status: string; emailVerified: boolean };
  tenant: { id: string; slug: string; name: string };
  roles: { general: string; task: string[] };
  session: { id: string; amr: string[]; acr: string; authTime: string };
}

@ApiTags('sessions')
@Controller('v1/me')
export class MeSessionController {
  constructor(private readonly db: TenantDb) {}

  @Authenticated()
  @Get()
  @ApiOperation({ summary: 'Who am I: user, tenant, roles and the current session (amr, acr, auth_time).' })
  async me(@CurrentPrincipal() p: Principal): Promise<MeResponse> {
    const [row] = await this.db.withTenant(p.tenantId, (em) =>
      em.execute<{ id: string; email: string; name: string; status: string; role: string; verified: boolean; tid: string; slug: string; tname: string }[]>(
        `select u.id, u.email, u.name, u.status, u.role, u.email_verified_at is not null as verified,
                t.id as tid, t.slug, t.name as tname
           from users u join tenants t on t.id = u.tenant_id where u.id = ?`,
        [p.userId],
      ),
    );
    if (!row) throw ProblemError.unauthorized();
    return {
      user: { id: row.id, email: row.email, name: row.name, status: row.status, emailVerified: row.verified },
      tenant: { id: row.tid, slug: row.slug, name: row.tname },
      // Task roles arrive with the Authorization issue.
      roles: { general: row.role, task: [] },
      session: { id: p.sessionId, amr: p.amr, acr: p.acr, authTime: new Date(p.authTime * 1000).toISOString() },
    };
  }
}
