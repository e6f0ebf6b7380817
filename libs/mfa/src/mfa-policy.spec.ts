import { GENERAL_ROLE_PERMISSIONS, GeneralRole, Permission } from '@tessera/auth';
import { FACTOR_OUTCOMES, isElevated, standing } from './mfa-policy';

const base = { tenantSettings: {}, emailVerified: true, totpActive: false, recoveryCodesLeft: 0 };
const of = (role: GeneralRole, extra: Permission[] = []) => ({
  role,
  permissions: [...GENERAL_ROLE_PERMISSIONS[role], ...extra],
});

describe('MFA enforcement rules', () => {
  it('elevated: tenant_admin and above, or any tier-3 permission', () => {
    expect(isElevated('member', GENERAL_ROLE_PERMISSIONS.member)).toBe(false);
    for (const r of ['tenant_admin', 'domain_admin', 'system_admin'] as const)
      expect(isElevated(r, [])).toBe(true);
    expect(isElevated('member', ['users:disable'])).toBe(true);
    expect(isElevated('member', ['audit:read', 'audit:export'])).toBe(false);
  });

  it('a plain member: not required, nothing asked, email usable if ever stepped up', () => {
    expect(standing({ ...base, ...of('member') })).toEqual({
      elevated: false,
      required: false,
      applies: false,
      emailAllowed: true,
      methods: ['email'],
    });
  });

  it('the tenant switch makes it required for members (email for them)', () => {
    expect(
      standing({ ...base, ...of('member'), tenantSettings: { mfa: { requiredForAll: true } } }),
    ).toMatchObject({ required: true, applies: true, methods: ['email'] });
  });

  it('elevated without TOTP: required, no usable method (enrolment) unless the tenant allows email', () => {
    expect(standing({ ...base, ...of('tenant_admin') })).toMatchObject({
      required: true,
      applies: true,
      methods: [],
    });
    expect(standing({ ...base, ...of('member', ['api_keys:manage']) })).toMatchObject({
      required: true,
      methods: [],
    });
    expect(
      standing({
        ...base,
        ...of('tenant_admin'),
        tenantSettings: { mfa: { allowEmailForElevated: true } },
      }),
    ).toMatchObject({ methods: ['email'] });
  });

  it('an unverified address is never a factor', () => {
    expect(
      standing({
        ...base,
        ...of('member'),
        emailVerified: false,
        tenantSettings: { mfa: { requiredForAll: true } },
      }),
    ).toMatchObject({ methods: [] });
  });

  it('with TOTP: asked even when not required; recovery codes while some are left; never downgraded to email', () => {
    expect(
      standing({ ...base, ...of('member'), totpActive: true, recoveryCodesLeft: 3 }),
    ).toMatchObject({ applies: true, methods: ['totp', 'recovery_code'] });
    expect(
      standing({ ...base, ...of('member'), totpActive: true, recoveryCodesLeft: 0 }),
    ).toMatchObject({ methods: ['totp'] });
  });

  it('email never carries mfa or otp (it must not satisfy step-up); TOTP does', () => {
    expect(FACTOR_OUTCOMES.email.amr).not.toContain('mfa');
    expect(FACTOR_OUTCOMES.email.amr).not.toContain('otp');
    expect(FACTOR_OUTCOMES.email.acr).toBe('urn:tessera:acr:mfa-email');
    expect(FACTOR_OUTCOMES.totp).toMatchObject({ amr: ['otp', 'mfa'], acr: 'urn:tessera:acr:mfa' });
  });
});
