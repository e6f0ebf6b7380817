import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditService } from '@tessera/audit';
import { ProblemError, RequestContextStore } from '@tessera/http';
import { REQUIRED_ROLE } from './access.decorators';
import { Principal } from './principal';
import { IS_PUBLIC } from './public.decorator';
import { GeneralRole, roleAtLeast } from './roles';

/**
 * After authentication: a route must declare its access (public, authenticated or a
 * minimum role). A route that declares nothing is refused even to an authenticated caller.
 */
@Injectable()
export class RoleGuard implements CanActivate {
  private readonly logger = new Logger('Access');

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const required = this.reflector.getAllAndOverride<GeneralRole | undefined>(REQUIRED_ROLE, targets);
    const principal = RequestContextStore.current()?.principal as Principal | undefined;
    if (!principal) throw ProblemError.unauthorized();
    if (required && roleAtLeast(principal.role, required)) return true;
    const reason = required ? `role ${principal.role} below ${required}` : 'route declares no access';
    try {
      await this.audit.record({
        action: 'access.denied',
        decision: 'deny',
        outcome: 'failure',
        tenantId: principal.tenantId,
        actor: { type: 'user', id: principal.userId },
        credential: { type: 'access_token', id: principal.tokenId },
        reason,
      });
    } catch (err) {
      this.logger.error({ err }, 'could not audit a denied request');
    }
    throw ProblemError.forbidden();
  }
}
