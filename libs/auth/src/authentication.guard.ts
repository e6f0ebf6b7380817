import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemError, RequestContextStore } from '@tessera/http';
import type { FastifyRequest } from 'fastify';
import { AccessDenials } from './access-denials';
import { AuthenticatorRegistry } from './authenticator.registry';
import { IS_PUBLIC } from './public.decorator';

/**
 * Deny by default: a route without @Public() needs a credential that one registered
 * authenticator accepts. Every refusal is audited (decision deny) before the 401.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: AuthenticatorRegistry,
    private readonly denials: AccessDenials,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if ('access_token' in ((request.query as object | undefined) ?? {})) {
      await this.deny('token_in_query');
      throw ProblemError.unauthorized('Send credentials in the Authorization header, never in the URL.', 'Bearer realm="tessera", error="invalid_request"');
    }
    const authorization = request.headers.authorization;
    if (!authorization) {
      await this.deny('missing_credentials');
      throw ProblemError.unauthorized();
    }
    const authenticator = this.registry.find(authorization);
    if (!authenticator) {
      await this.deny('unsupported_credentials');
      throw ProblemError.unauthorized('The credential is not valid.', 'Bearer realm="tessera", error="invalid_token"');
    }
    try {
      const principal = await authenticator.authenticate(authorization, request);
      const ctx = RequestContextStore.current();
      if (ctx) {
        ctx.principal = principal;
        ctx.tenantId = principal.tenantId;
      }
      return true;
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) await this.deny(`invalid_credentials:${authenticator.name}`);
      throw err;
    }
  }

  private deny(reason: string): Promise<void> {
    return this.denials.record(reason);
  }
}
