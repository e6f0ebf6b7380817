export {
  ARGON2_PARAMS,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  type Argon2Params,
} from './password.constants';
export {
  mergePolicy,
  PLATFORM_PASSWORD_POLICY,
  type PasswordPolicy,
  type PasswordRule,
  type PasswordScore,
  type PasswordViolation,
  type TenantPasswordPolicy,
} from './password-policy';
export { PasswordPolicyService, type PasswordCheckContext } from './password-policy.service';
export {
  PASSWORD_HASHER_OPTIONS,
  PasswordHasher,
  resolveArgon2Params,
  type PasswordHasherOptions,
  type PasswordVerification,
} from './password-hasher.service';
export { PasswordTooLongError, WeakPasswordError } from './password.errors';
export { IsPasswordInput, type PasswordInputOptions } from './password-input.decorator';
export { codePointLength, normalizePassword } from './password-text.util';
export { PasswordModule } from './password.module';
