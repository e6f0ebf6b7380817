import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuthorizationCache, Authenticator, AuthenticatorRegistry, DelegatedPrincipal, delegatedPermissionsOf, UserPrincipal } from '@tessera/auth';
import { AccessTokenService, invalidToken } from './access-token.service';
import { TokenCache } from './token-cache.service';

/**
 * Access JWTs (`Authorization: Bearer <jwt>`): signature and claims first (no I/O beyond
 * the cached key), then the token cache — a token whose hash is not there (revoked,
 * session ended, cache flushed) is refused; Redis unreachable is a 503, never a pass.
 */
@Injectable()
export class JwtAuthenticator implements Authenticator, OnModuleInit {
  readonly name = 'bearer-jwt';

  constructor(
    private readonly registry: AuthenticatorRegistry,
    private readonly tokens: AccessTokenService,
    private readonly cache: TokenCache,
    private readonly authz: AuthorizationCache,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  supports(authorization: string): boolean {
    return authorization.startsWith('Bearer ') && this.tokens.isJwtShaped(authorization.slice(7));
  }

  async authenticate(authorization: string): Promise<UserPrincipal | DelegatedPrincipal> {
    const token = authorization.slice(7);
    const claims = await this.tokens.verify(token);
    // Token liveness and the user's current authorization: one round trip to the store.
    const [live, rawAuthz] = await this.cache.lookupWith(token, this.authz.key(claims.sub));
    // The cached entry says what the token is: a session's, or an OAuth client's (cid).
    const sameKind = live?.cid ? claims.client_id === live.cid && claims.sid === undefined : claims.sid !== undefined && live?.sid === claims.sid;
    if (!live || !sameKind || live.uid !== claims.sub || live.jti !== claims.jti || live.tid !== claims.tid) {
      throw invalidToken('The access token has been revoked or has expired.');
    }
    const authz = this.authz.parse(rawAuthz) ?? (await this.authz.load(live.uid, live.tid));
    if (!authz || authz.status !== 'active') throw invalidToken('The access token has been revoked or has expired.');
    if (live.cid) {
      // Client credentials: the owner's permissions NOW ∩ the granted scopes, never tier 4.
      const scopes = live.scp ?? [];
      return {
        kind: 'oauth_client',
        userId: live.uid,
        tenantId: live.tid,
        role: authz.role,
        permissions: delegatedPermissionsOf(authz.permissions, scopes),
        taskRoles: authz.taskRoles,
        credentialId: live.sid,
        actorId: live.cid,
        scopes,
        testMode: false,
        tokenId: live.jti,
      };
    }
    return {
      kind: 'session',
      userId: live.uid,
      tenantId: live.tid,
      role: authz.role,
      permissions: authz.permissions,
      taskRoles: authz.taskRoles,
      sessionId: live.sid,
      amr: live.amr,
      acr: live.acr,
      authTime: live.authTime,
      tokenId: live.jti,
    };
  }
}
