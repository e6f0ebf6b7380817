import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  Authenticator,
  AuthenticatorRegistry,
  EnrollmentPrincipal,
  Permission,
} from '@tessera/auth';
import { SecretDigest } from '@tessera/crypto';
import { PreTenantLookup } from '@tessera/database';
import { invalidToken } from '@tessera/sessions';
import { MfaRepository } from './mfa.repository';

const SHAPE = /^Bearer mfe_[A-Za-z0-9_-]{43}$/;
const ENROLL_ONLY: ReadonlySet<Permission> = new Set<Permission>(['mfa:enroll']);

/**
 * The enrolment token (`Authorization: Bearer mfe_…`) of a person who must set up MFA
 * first. Its principal is `mfa_enrollment`: only routes that name that credential type
 * accept it (the TOTP enrolment routes), and its one permission is `mfa:enroll`, so every
 * other route refuses it twice over. Live only while its challenge is (10 min, single use).
 */
@Injectable()
export class EnrollmentTokenAuthenticator implements Authenticator, OnModuleInit {
  readonly name = 'mfa-enrollment-token';

  constructor(
    private readonly registry: AuthenticatorRegistry,
    private readonly lookup: PreTenantLookup,
    private readonly digest: SecretDigest,
    private readonly repo: MfaRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  supports(authorization: string): boolean {
    return SHAPE.test(authorization);
  }

  async authenticate(authorization: string): Promise<EnrollmentPrincipal> {
    const found = await this.lookup.mfaChallenge(this.digest.digest(authorization.slice(7)));
    if (!found || found.purpose !== 'enroll')
      throw invalidToken('The enrolment token is not valid or has expired; log in again.');
    const live = await this.repo.tx(found.tenantId, async (em) => {
      const ch = await this.repo.liveChallenge(em, found.id);
      const account = ch ? await this.repo.account(found.tenantId, found.userId, em) : null;
      return !!account && account.status === 'active' && account.tenantStatus === 'active';
    });
    if (!live) throw invalidToken('The enrolment token is not valid or has expired; log in again.');
    return {
      kind: 'mfa_enrollment',
      userId: found.userId,
      tenantId: found.tenantId,
      // Acts with the least: nothing but enrolling a factor for itself.
      role: 'member',
      permissions: ENROLL_ONLY,
      taskRoles: [],
      tokenId: found.id,
    };
  }
}
