import { Module } from '@nestjs/common';
import { MailModule } from '@tessera/mail';
import { PasswordModule } from '@tessera/password';
import { AccountTokensModule } from '@tessera/account-tokens';
import { AccountsRepository } from './accounts.repository';
import { EmailAttemptLimiter } from './email-attempt-limiter.service';
import { EmailVerificationService } from './email-verification.service';
import { PasswordResetController } from './password-reset.controller';
import { PasswordResetService } from './password-reset.service';
import { SignupController } from './signup.controller';
import { SignupService } from './signup.service';

/**
 * Anonymous account flows: sign-up, email verification, forgotten password. One-time
 * link tokens come from @tessera/account-tokens. Database, audit, crypto, store and
 * AccountEvents come from global modules.
 */
@Module({
  imports: [MailModule, PasswordModule, AccountTokensModule],
  controllers: [SignupController, PasswordResetController],
  providers: [
    AccountsRepository,
    EmailAttemptLimiter,
    SignupService,
    EmailVerificationService,
    PasswordResetService,
  ],
  exports: [SignupService, EmailVerificationService, PasswordResetService],
})
export class AccountsModule {}
