export * from './account-input.decorators';
export * from './account-responses.dto';
export * from './email-only.dto';
export * from './reset-password.dto';
export * from './signup.dto';
export * from './verify-email.dto';
