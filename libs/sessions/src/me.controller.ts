import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, isDelegated, Principal, RequirePermissions } from '@tessera/auth';
import { ProblemError } from '@tessera/http';
import { ReadAhead } from '@tessera/store';
import { ProfileCache } from './profile-cache.service';

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

/** Sorted once per permission set: principals share one set per cached authorization (and key scopes). */
const sorted = new WeakMap<ReadonlySet<string>, readonly string[]>();
function sortedPermissions(permissions: ReadonlySet<string>): string[] {
  let out = sorted.get(permissions);
  if (!out) sorted.set(permissions, (out = [...permissions].sort()));
  return out.slice();
}

@ApiTags('sessions')
@Controller('v1/me')
export class MeSessionController {
  constructor(private readonly profiles: ProfileCache) {}

  @RequirePermissions('self:read')
  @ReadAhead(ProfileCache.keysOf)
  @Get()
  @ApiOperation({ summary: 'Who am I: user, tenant, roles, effective permissions and the credential (session: amr, acr, auth_time).' })
  async me(@CurrentPrincipal() p: Principal): Promise<MeResponse> {
    // From the store (ProfileCache), read ahead with the API buckets: no PostgreSQL read
    // and no round trip of its own on the hot path.
    const profile = await this.profiles.get(p.userId, p.tenantId);
    if (!profile) throw ProblemError.unauthorized();
    const { user, tenant } = profile;
    const session = p.kind === 'session' ? p : null;
    return {
      // Authenticated means active now (the authorization cache checked it): never a stale status.
      user: user ? { ...user, status: 'active' } : null,
      tenant,
      roles: { general: p.role, task: [...p.taskRoles] },
      permissions: sortedPermissions(p.permissions),
      credential:
        p.kind === 'session'
          ? { type: 'session', id: p.sessionId, test: false }
          : isDelegated(p)
            ? { type: p.kind, id: p.credentialId, test: p.testMode, scopes: [...p.scopes] }
            : { type: p.kind, id: p.tokenId, test: false },
      session: session ? { id: session.sessionId, amr: session.amr, acr: session.acr, authTime: new Date(session.authTime * 1000).toISOString() } : null,
    };
  }
}
