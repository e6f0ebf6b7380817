import { Injectable } from '@nestjs/common';
import { WeakPasswordError } from './password.errors';
import {
  mergePolicy,
  PLATFORM_PASSWORD_POLICY,
  type PasswordPolicy,
  type PasswordViolation,
  type TenantPasswordPolicy,
} from './password-policy';
import { estimateStrength, isCommonPassword } from './password-strength.estimator';
import { codePointLength, exceedsRawGuard, normalizePassword } from './password-text.util';

/** Who the password belongs to: none of it may appear in the password. */
export interface PasswordCheckContext {
  email?: string;
  name?: string;
  tenantName?: string;
  /** The tenant's own settings; merged with the platform policy, never weaker. */
  policy?: TenantPasswordPolicy | null;
}

/** Shorter fragments ("al", "li") are too common to forbid without rejecting good passwords. */
const MIN_PERSONAL_FRAGMENT = 4;

type PersonalKind = 'email address' | 'name' | 'organisation name';

interface PersonalFragment {
  kind: PersonalKind;
  value: string;
}

function fold(value: string): string {
  return normalizePassword(value).trim().toLowerCase();
}

function tokens(value: string): string[] {
  return value.split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

function isLongEnough(fragment: string): boolean {
  return codePointLength(fragment) >= MIN_PERSONAL_FRAGMENT;
}

/** The fragments that may not appear in the password, and the words zxcvbn should know. */
function personalData(ctx: PasswordCheckContext): {
  forbidden: PersonalFragment[];
  userInputs: string[];
} {
  const forbidden: PersonalFragment[] = [];
  const userInputs: string[] = [];

  if (ctx.email) {
    const email = fold(ctx.email);
    const at = email.lastIndexOf('@');
    const local = at > 0 ? email.slice(0, at) : email;
    const domain = at > 0 ? email.slice(at + 1) : '';
    if (email) forbidden.push({ kind: 'email address', value: email });
    if (local !== email && isLongEnough(local)) {
      forbidden.push({ kind: 'email address', value: local });
    }
    userInputs.push(email, local, ...tokens(local), ...tokens(domain));
  }
  if (ctx.name) {
    const name = fold(ctx.name);
    const parts = tokens(name);
    for (const part of parts.filter(isLongEnough)) forbidden.push({ kind: 'name', value: part });
    userInputs.push(name, ...parts);
  }
  if (ctx.tenantName) {
    const tenant = fold(ctx.tenantName);
    const parts = tokens(tenant);
    // "Acme Corp" is also forbidden as "acmecorp": people drop the space.
    for (const form of [tenant, parts.join('')]) {
      if (isLongEnough(form)) forbidden.push({ kind: 'organisation name', value: form });
    }
    userInputs.push(tenant, ...parts);
  }
  return { forbidden, userInputs: [...new Set(userInputs.filter((u) => u.length > 0))] };
}

function listKinds(kinds: PersonalKind[]): string {
  const last = kinds[kinds.length - 1] ?? '';
  return kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} or ${last}` : last;
}

/**
 * The password policy: NIST SP 800-63B style (length, blocklist, strength estimate,
 * context-specific words) rather than composition rules. Pure and synchronous; the only
 * state is the lazily built zxcvbn dictionary, shared by the process.
 */
@Injectable()
export class PasswordPolicyService {
  /** The policy that applies for a tenant's settings. */
  effectivePolicy(tenant?: TenantPasswordPolicy | null): PasswordPolicy {
    return mergePolicy(PLATFORM_PASSWORD_POLICY, tenant);
  }

  /** Every rule the password breaks; an empty list means it is acceptable. */
  check(password: string, ctx: PasswordCheckContext = {}): PasswordViolation[] {
    const policy = this.effectivePolicy(ctx.policy);
    const tooLong: PasswordViolation = {
      rule: 'max_length',
      message: `Use at most ${policy.maxLength} characters.`,
    };
    // Not worth normalising or estimating: no such input can be within the limit.
    if (typeof password !== 'string' || exceedsRawGuard(password)) return [tooLong];

    const normalized = normalizePassword(password);
    const length = codePointLength(normalized);
    const folded = normalized.toLowerCase();
    const violations: PasswordViolation[] = [];

    if (length < policy.minLength) {
      violations.push({
        rule: 'min_length',
        message: `Use at least ${policy.minLength} characters.`,
      });
    }
    if (length > policy.maxLength) violations.push(tooLong);

    if (isCommonPassword(normalized)) {
      violations.push({
        rule: 'common_password',
        message:
          'This password is on a list of common or breached passwords. Choose a different one.',
      });
    }

    const { forbidden, userInputs } = personalData(ctx);
    const found = [
      ...new Set(forbidden.filter((f) => folded.includes(f.value)).map((f) => f.kind)),
    ];
    if (found.length > 0) {
      violations.push({
        rule: 'contains_personal_info',
        message: `Do not include your ${listKinds(found)} in the password.`,
      });
    }

    // An oversized input is refused anyway; estimating it would only cost time.
    if (length <= policy.maxLength) {
      const estimate = estimateStrength(normalized, userInputs);
      if (estimate.score < policy.minScore) {
        // zxcvbn's feedback strings are fixed sentences; they never quote the password.
        const advice = [estimate.feedback.warning, ...estimate.feedback.suggestions].filter(
          (s): s is string => typeof s === 'string' && s.length > 0,
        );
        violations.push({
          rule: 'too_weak',
          message: ['This password is too easy to guess.', ...advice].join(' '),
        });
      }
    }
    return violations;
  }

  /** Throws a 400 `weak-password` problem listing every violation when any rule is broken. */
  assertAcceptable(password: string, ctx: PasswordCheckContext = {}): void {
    const violations = this.check(password, ctx);
    if (violations.length > 0) throw new WeakPasswordError(violations);
  }
}
