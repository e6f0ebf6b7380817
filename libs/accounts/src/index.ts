export * from './accounts.module';
export { EMAIL_LIMITS, type EmailLimitScope } from './email-attempt-limiter.service';
export { SignupService, type SignupInput } from './signup.service';
export { EmailVerificationService } from './email-verification.service';
export { PasswordResetService } from './password-reset.service';
export * from './dto';
