import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { HandlerMetadata, ProblemError, requestContextOf } from '@tessera/http';
import { AccessDenials } from './access-denials';
import { ACCESS_RULE, AccessRule } from './access.decorators';
import { delegatedPermissions, PERMISSIONS, tierOf } from './permissions';
import { isDelegated, Principal } from './principal';
import { IS_PUBLIC } from './public.decorator';
import { StepUpPolicy } from './step-up.policy';


/**
 * Last guard: the route's declared permissions against the principal's effective ones
 * (already in memory: no database round trip), the credential type, the tier-4 rule for
 * delegated credentials, and the step-up hook for tier 3. A route with no declaration is
 * refused. Every refusal is audited with its reason.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly meta: HandlerMetadata,
    private readonly denials: AccessDenials,
    private readonly stepUp: StepUpPolicy,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.meta.get<boolean>(IS_PUBLIC, context)) return true;
    const principal = requestContextOf(context)?.principal as Principal | undefined;
    if (!principal) throw ProblemError.unauthorized();
    const rule = this.meta.get<AccessRule>(ACCESS_RULE, context);
    if (!rule) return this.refuse('route declares no access', principal, 0);

    if (!rule.credentials.includes(principal.kind)) {
      return this.refuse(
        `credential type ${principal.kind} not accepted here`,
        principal,
        rule.tier,
        'This operation needs a different kind of credential.',
      );
    }
    for (const p of rule.permissions) {
      if (isDelegated(principal) && tierOf(p) === 4) {
        return this.refuse(
          `tier 4 permission ${p} through a delegated credential`,
          principal,
          4,
          'This operation is never allowed to a delegated credential.',
        );
      }
      if (!principal.permissions.has(p)) {
        // A delegated credential refused for its scopes, not its owner's role: say which.
        const reason =
          isDelegated(principal) && !delegatedPermissions(Object.keys(PERMISSIONS), principal.scopes).has(p)
            ? `scope denied: ${p} is outside the credential's scopes`
            : `missing permission ${p}`;
        return this.refuse(reason, principal, rule.tier);
      }
    }
    if (rule.tier >= 3) return this.stepUp.assert(principal, rule.tier).then(() => true);
    return true;
  }

  private async refuse(
    reason: string,
    principal: Principal,
    tier: number,
    detail?: string,
  ): Promise<never> {
    await this.denials.record(reason, principal, { tier: tier as 0 | 1 | 2 | 3 | 4 });
    throw ProblemError.forbidden(detail);
  }
}
