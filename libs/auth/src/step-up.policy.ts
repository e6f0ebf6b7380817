import { Injectable } from '@nestjs/common';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { ProblemError } from '@tessera/http';
import { AccessDenials } from './access-denials';
import { RiskTier } from './permissions';
import { Principal } from './principal';

/** The acr values that satisfy a step-up (Sessions' ACR: MFA or national eID at high assurance). */
export const STEP_UP_ACR_VALUES = ['urn:tessera:acr:mfa', 'urn:tessera:acr:eid-high'];

/**
 * Step-up (RFC 9470) for tier-3 operations: a person's session must have authenticated
 * within STEP_UP_MAX_AGE_SECONDS with one of the STEP_UP_AMR methods. The permission guard
 * applies it to every tier-3 route; a service applies it where the tier depends on the body
 * (e.g. a tenant's security settings). Delegated credentials cannot present a factor and
 * are not stepped up (tier 4 is refused to them outright).
 */
@Injectable()
export class StepUpPolicy {
  constructor(
    @InjectConfig() private readonly config: TesseraConfig,
    private readonly denials: AccessDenials,
  ) {}

  /** Throws the 401 `step-up-required` (audited) when the principal needs a fresher, stronger login. */
  async assert(principal: Principal, tier: RiskTier | 0 = 3): Promise<void> {
    if (principal.kind !== 'session' || !this.config.stepUp.enabled) return;
    const { maxAgeSeconds, strongAmr } = this.config.stepUp;
    const fresh = Date.now() / 1000 - principal.authTime <= maxAgeSeconds;
    const strong = principal.amr.some((m) => strongAmr.includes(m));
    if (fresh && strong) return;
    await this.denials.record(`step-up required (${!strong ? 'no strong factor' : 'authentication too old'})`, principal, { tier });
    throw new ProblemError(
      401,
      'step-up-required',
      'Step-up authentication required',
      'Authenticate again with a second factor to do this.',
      { max_age: maxAgeSeconds, acr_values: STEP_UP_ACR_VALUES, amr_values: strongAmr },
      {
        'WWW-Authenticate': `Bearer realm="tessera", error="insufficient_user_authentication", error_description="A recent second factor is required", acr_values="${STEP_UP_ACR_VALUES.join(' ')}", max_age=${maxAgeSeconds}`,
      },
    );
  }
}
