import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { isUuid } from '@tessera/database';
import { HandlerMetadata, ProblemError, RequestContext, requestContextOf } from '@tessera/http';
import type { FastifyRequest } from 'fastify';
import { AccessDenials } from './access-denials';
import { Principal } from './principal';
import { IS_PUBLIC } from './public.decorator';
import { TenantAccess } from './tenant-access.service';

/**
 * Third guard: which tenant the request acts in. The caller's own, unless it names another
 * explicitly and authenticated — a `:tenantId` path parameter or a `tenantId` query
 * parameter (never a header) — and may act there (TenantAccess: a domain admin in its
 * subtree, a system admin anywhere). Otherwise 403, audited. Resource ids of another tenant
 * are the services' business (404, no existence leak).
 */
@Injectable()
export class TenantContextGuard implements CanActivate {
  constructor(
    private readonly meta: HandlerMetadata,
    private readonly access: TenantAccess,
    private readonly denials: AccessDenials,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.meta.get<boolean>(IS_PUBLIC, context)) return true;
    const ctx = requestContextOf(context);
    const principal = ctx?.principal as Principal | undefined;
    if (!ctx || !principal) throw ProblemError.unauthorized();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const requested =
      pick((request.params as Record<string, unknown> | undefined)?.tenantId) ??
      pick((request.query as Record<string, unknown> | undefined)?.tenantId);
    if (requested === undefined || requested === principal.tenantId) {
      ctx.actingTenantId = principal.tenantId;
      return true;
    }
    return this.actElsewhere(ctx, principal, requested);
  }

  private async actElsewhere(ctx: RequestContext, principal: Principal, requested: unknown): Promise<boolean> {
    if (typeof requested !== 'string' || !isUuid(requested)) {
      throw ProblemError.badRequest(
        'validation-failed',
        'Validation failed',
        'tenantId must be a UUID.',
        {
          errors: [{ field: 'tenantId', messages: ['tenantId must be a UUID'] }],
        },
      );
    }
    if (!(await this.access.canActIn(principal, requested))) {
      await this.denials.record('tenant outside the caller reach', principal, {
        target: { type: 'tenant', id: requested },
      });
      throw ProblemError.forbidden('You cannot act in this tenant.');
    }
    ctx.actingTenantId = requested;
    return true;
  }
}

/** A repeated parameter stays an array, and fails the UUID check. */
function pick(v: unknown): unknown {
  return v === '' ? undefined : v;
}
