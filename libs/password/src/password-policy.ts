import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password.constants';

/** zxcvbn scores run 0..4; the platform never accepts less than 3 ("safely unguessable"). */
export type PasswordScore = 3 | 4;

/** The rules a password can break; stable strings, clients may switch on them. */
export type PasswordRule =
  'min_length' | 'max_length' | 'common_password' | 'too_weak' | 'contains_personal_info';

export interface PasswordViolation {
  rule: PasswordRule;
  /** Human-readable advice; never contains the password. */
  message: string;
}

/** The rules actually applied to one password. */
export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  minScore: PasswordScore;
}

/** What a tenant may configure. It can only make the platform policy stricter. */
export interface TenantPasswordPolicy {
  minLength?: number;
  minScore?: PasswordScore;
}

export const PLATFORM_PASSWORD_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  minScore: 3,
});

/**
 * The effective policy: a tenant may raise the minimum length or score, never lower them.
 * Values below the platform's are ignored, as are values that are not numbers (tenant
 * settings come from the database and are not trusted to be well-formed). A minimum
 * length above the maximum is capped so the policy stays satisfiable.
 */
export function mergePolicy(
  platform: PasswordPolicy,
  tenant?: TenantPasswordPolicy | null,
): PasswordPolicy {
  let minLength = platform.minLength;
  const requestedLength = tenant?.minLength;
  if (typeof requestedLength === 'number' && Number.isFinite(requestedLength)) {
    minLength = Math.min(Math.max(minLength, Math.ceil(requestedLength)), platform.maxLength);
  }
  const minScore: PasswordScore = tenant?.minScore === 4 ? 4 : platform.minScore;
  return { minLength, maxLength: platform.maxLength, minScore };
}
