import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { HandlerMetadata, ProblemError, requestContextOf } from '@tessera/http';
import { takeReadAhead } from '@tessera/store';
import { RateLimitGuard } from '@tessera/rate-limit';
import type { FastifyRequest } from 'fastify';
import { AccessDenials } from './access-denials';
import { AuthenticatorRegistry } from './authenticator.registry';
import { IS_PUBLIC } from './public.decorator';

/**
 * Deny by default: a route without @Public() needs a credential that one registered
 * authenticator accepts. Every refusal is audited (decision deny) before the 401, unless
 * the client IP is over its limit for refused credentials (429, not audited).
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly meta: HandlerMetadata,
    private readonly registry: AuthenticatorRegistry,
    private readonly denials: AccessDenials,
    private readonly perIp: RateLimitGuard,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    // A public route never authenticates: a credential sent to it counts per IP like none.
    if (this.meta.get<boolean>(IS_PUBLIC, context)) return this.perIp.countDeferred(context);
    return this.authenticate(context, true);
  }

  /**
   * After the per-tenant / per-credential buckets (whose script read the pending
   * credential's keys again): the values a provisional principal was decided on must be
   * the store's values now, else this request authenticates again, the full way — so a
   * revocation, rotation or owner change on any instance is seen at once, as before.
   */
  confirm(context: ExecutionContext): boolean | Promise<boolean> {
    const ctx = requestContextOf(context);
    const pending = ctx?.pendingCredential;
    if (!pending) return true;
    ctx.pendingCredential = undefined;
    const now = takeReadAhead(pending.keys);
    if (now && now.every((v, i) => v === pending.values[i])) return true;
    return this.authenticate(context, false);
  }

  private async authenticate(context: ExecutionContext, provisional: boolean): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if ('access_token' in ((request.query as object | undefined) ?? {})) {
      await this.refuse(context, 'token_in_query');
      throw ProblemError.unauthorized('Send credentials in the Authorization header, never in the URL.', 'Bearer realm="tessera", error="invalid_request"');
    }
    const authorization = request.headers.authorization;
    if (!authorization) {
      await this.deny('missing_credentials');
      throw ProblemError.unauthorized();
    }
    const authenticator = this.registry.find(authorization);
    if (!authenticator) {
      await this.refuse(context, 'unsupported_credentials');
      throw ProblemError.unauthorized('The credential is not valid.', 'Bearer realm="tessera", error="invalid_token"');
    }
    try {
      const principal = await authenticator.authenticate(authorization, request, { provisional });
      const ctx = requestContextOf(context);
      if (ctx) {
        ctx.principal = principal;
        ctx.tenantId = principal.tenantId;
      }
      return true;
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) await this.refuse(context, `invalid_credentials:${authenticator.name}`);
      throw err;
    }
  }

  /**
   * A presented credential was refused: it now counts against the client IP's limit (it
   * skipped that limit up front, see RateLimitGuard) — past the limit the answer is 429 and
   * nothing is audited, so a flood of bad tokens cannot turn into a flood of audit rows.
   */
  private async refuse(context: ExecutionContext, reason: string): Promise<void> {
    await this.perIp.countDeferred(context);
    await this.deny(reason);
  }

  private deny(reason: string): Promise<void> {
    return this.denials.record(reason);
  }
}
