import { GeneralRole, Permission, roleAtLeast, tierOf } from '@tessera/auth';
import { Acr, ACR } from '@tessera/sessions';

/** The second factors a person can use, as named in requests and responses. */
export const MFA_METHODS = ['totp', 'recovery_code', 'email'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

/** Lifetimes and limits (README: "Security rules"). */
export const MFA_TOKEN_TTL_S = 5 * 60;
export const ENROLLMENT_TOKEN_TTL_S = 10 * 60;
export const STEP_UP_CHALLENGE_TTL_S = 10 * 60;
export const PENDING_TOTP_TTL_S = 15 * 60;
export const EMAIL_CODE_TTL_S = 10 * 60;
/** Wrong codes on one challenge (whatever the method) before it is void. */
export const CHALLENGE_MAX_ATTEMPTS = 5;
/** Email codes sent for one challenge. */
export const CHALLENGE_MAX_EMAIL_SENDS = 3;
/** Failed second-factor checks per account in the window, across logins, step-ups and enrolments. */
export const ACCOUNT_MAX_FAILURES = 10;
export const ACCOUNT_FAILURE_WINDOW_MS = 15 * 60_000;
/** Email codes per account per hour (no mail bombing through repeated logins). */
export const ACCOUNT_MAX_EMAIL_SENDS = 10;
export const ACCOUNT_EMAIL_WINDOW_MS = 60 * 60_000;
/** Current-password checks on the MFA self-service routes, per user. */
export const PASSWORD_ATTEMPTS = 5;
export const PASSWORD_WINDOW_MS = 15 * 60_000;

/** What a verified factor adds to a session (RFC 8176 amr; Tessera acr). */
export interface FactorOutcome {
  /** amr values of the factor, after the primary method's (`pwd`). */
  amr: string[];
  acr: Acr;
  /** The session's `method` (how the person signed in). */
  method: string;
}

/**
 * TOTP and recovery codes are AAL2 authenticators (NIST SP 800-63B: OTP device, look-up
 * secret): `mfa` with RFC 8176 `otp` for TOTP. An emailed code is not an acceptable
 * out-of-band authenticator under 800-63B: its amr is the Tessera value `email` (no `mfa`,
 * no `otp`, so it never satisfies step-up) and its acr `mfa-email`.
 */
export const FACTOR_OUTCOMES: Record<MfaMethod, FactorOutcome> = {
  totp: { amr: ['otp', 'mfa'], acr: ACR.mfa, method: 'password+totp' },
  recovery_code: { amr: ['mfa'], acr: ACR.mfa, method: 'password+recovery_code' },
  email: { amr: ['email'], acr: ACR.mfaEmail, method: 'password+email' },
};

/**
 * Elevated: tenant_admin or above, or holding any tier-3+ permission (through a task role or
 * a custom role). These people need MFA whatever the tenant says, and by default may not
 * use an emailed code.
 */
export function isElevated(role: GeneralRole, permissions: Iterable<Permission>): boolean {
  if (roleAtLeast(role, 'tenant_admin')) return true;
  for (const p of permissions) if (tierOf(p) >= 3) return true;
  return false;
}

export interface MfaStanding {
  elevated: boolean;
  /** MFA is required: elevated, or the tenant's `mfa.requiredForAll`. */
  required: boolean;
  /** A second factor is asked at login: required, or the person enrolled TOTP anyway. */
  applies: boolean;
  emailAllowed: boolean;
  /** The factors the person can use now, strongest first; empty → enrolment only. */
  methods: MfaMethod[];
}

/**
 * The enforcement rules in one pure function. Email is offered only when no authenticator
 * app is enrolled (a TOTP user is never downgraded to email), only for a verified address,
 * and to elevated people only when the tenant allows it.
 */
export function standing(f: {
  role: GeneralRole;
  permissions: Iterable<Permission>;
  tenantSettings: { mfa?: { requiredForAll?: boolean; allowEmailForElevated?: boolean } };
  emailVerified: boolean;
  totpActive: boolean;
  recoveryCodesLeft: number;
}): MfaStanding {
  const elevated = isElevated(f.role, f.permissions);
  const required = elevated || f.tenantSettings.mfa?.requiredForAll === true;
  const emailAllowed =
    f.emailVerified && (!elevated || f.tenantSettings.mfa?.allowEmailForElevated === true);
  const methods: MfaMethod[] = [];
  if (f.totpActive) {
    methods.push('totp');
    if (f.recoveryCodesLeft > 0) methods.push('recovery_code');
  } else if (emailAllowed) {
    methods.push('email');
  }
  return { elevated, required, applies: required || f.totpActive, emailAllowed, methods };
}
