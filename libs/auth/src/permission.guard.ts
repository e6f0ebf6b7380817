import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { ProblemError, RequestContextStore } from '@tessera/http';
import { AccessDenials } from './access-denials';
import { ACCESS_RULE, AccessRule } from './access.decorators';
import { delegatedPermissions, PERMISSIONS, tierOf } from './permissions';
import { isDelegated, Principal } from './principal';
import { IS_PUBLIC } from './public.decorator';

/** The acr values that satisfy a step-up (Sessions' ACR: MFA or national eID at high assurance). */
export const STEP_UP_ACR_VALUES = ['urn:tessera:acr:mfa', 'urn:tessera:acr:eid-high'];

/**
 * Last guard: the route's declared permissions against the principal's effective ones
 * (already in memory: no database round trip), the credential type, the tier-4 rule for
 * delegated credentials, and the step-up hook for tier 3. A route with no declaration is
 * refused. Every refusal is audited with its reason.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly denials: AccessDenials,
    @InjectConfig() private readonly config: TesseraConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const principal = RequestContextStore.current()?.principal as Principal | undefined;
    if (!principal) throw ProblemError.unauthorized();
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, targets);
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
    if (rule.tier >= 3 && principal.kind === 'session' && this.config.stepUp.enabled) {
      const { maxAgeSeconds, strongAmr } = this.config.stepUp;
      const fresh = Date.now() / 1000 - principal.authTime <= maxAgeSeconds;
      const strong = principal.amr.some((m) => strongAmr.includes(m));
      if (!fresh || !strong) {
        await this.denials.record(
          `step-up required (${!strong ? 'no strong factor' : 'authentication too old'})`,
          principal,
          { tier: rule.tier },
        );
        throw new ProblemError(
          401,
          'step-up-required',
          'Step-up authentication required',
          'Authenticate again with a second factor to do this.',
          {
            max_age: maxAgeSeconds,
            acr_values: STEP_UP_ACR_VALUES,
            amr_values: strongAmr,
          },
          {
            'WWW-Authenticate': `Bearer realm="tessera", error="insufficient_user_authentication", error_description="A recent second factor is required", acr_values="${STEP_UP_ACR_VALUES.join(' ')}", max_age=${maxAgeSeconds}`,
          },
        );
      }
    }
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
