import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ApiRateLimitGuard, RateLimitGuard } from '@tessera/rate-limit';
import { AuthenticationGuard } from './authentication.guard';
import { PermissionGuard } from './permission.guard';
import { TenantContextGuard } from './tenant-context.guard';

type Step = (context: ExecutionContext) => boolean | Promise<boolean>;

/**
 * The one global guard: the chain, in this order, each step only if the previous passed —
 * per-IP limit → authentication → per-tenant / per-credential limits → confirmation of a
 * provisionally accepted credential (AuthenticationGuard.confirm) → tenant context →
 * permissions and risk tier. One Nest guard instead of five, and a step that can answer
 * without waiting (a public route, a request acting in its own tenant, a permission already
 * in memory) answers without a promise: five separately awaited guards cost a cheap request
 * a measurable share of its CPU in bench/. The steps stay separate classes, each tested.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly steps: Step[];

  constructor(perIp: RateLimitGuard, authentication: AuthenticationGuard, apiLimits: ApiRateLimitGuard, tenant: TenantContextGuard, permissions: PermissionGuard) {
    this.steps = [
      (c) => perIp.check(c),
      (c) => authentication.canActivate(c),
      (c) => apiLimits.canActivate(c),
      (c) => authentication.confirm(c),
      (c) => tenant.canActivate(c),
      (c) => permissions.canActivate(c),
    ];
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.from(0, context);
  }

  private from(first: number, context: ExecutionContext): boolean | Promise<boolean> {
    for (let i = first; i < this.steps.length; i++) {
      const passed = this.steps[i]!(context);
      if (passed === true) continue;
      if (passed === false) return false;
      return passed.then((ok) => (ok ? this.from(i + 1, context) : false));
    }
    return true;
  }
}
