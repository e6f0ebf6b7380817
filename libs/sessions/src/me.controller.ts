import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal } from '@tessera/auth';
import { PreTenantLookup } from '@tessera/database';
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
  constructor(private readonly lookup: PreTenantLookup) {}

  @Authenticated()
  @Get()
  @ApiOperation({ summary: 'Who am I: user, tenant, roles and the current session (amr, acr, auth_time).' })
  async me(@CurrentPrincipal() p: Principal): Promise<MeResponse> {
    const row = await this.lookup.sessionProfile(p.userId, p.tenantId);
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
