import { Injectable, OnModuleInit } from '@nestjs/common';
import { Authenticator, AuthenticatorRegistry, UserPrincipal } from '@tessera/auth';
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
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  supports(authorization: string): boolean {
    return authorization.startsWith('Bearer ') && this.tokens.isJwtShaped(authorization.slice(7));
  }

  async authenticate(authorization: string): Promise<UserPrincipal> {
    const token = authorization.slice(7);
    const claims = await this.tokens.verify(token);
    const live = await this.cache.lookup(token);
    if (!live || live.sid !== claims.sid || live.uid !== claims.sub || live.jti !== claims.jti) {
      throw invalidToken('The access token has been revoked or has expired.');
    }
    return {
      kind: 'user',
      userId: live.uid,
      tenantId: live.tid,
      role: live.role,
      sessionId: live.sid,
      amr: live.amr,
      acr: live.acr,
      authTime: live.authTime,
      tokenId: live.jti,
    };
  }
}
