import { Module } from '@nestjs/common';
import { MailModule } from '@tessera/mail';
import { PasswordModule } from '@tessera/password';
import { SessionsModule } from '@tessera/sessions';
import { UsersModule } from '@tessera/users';
import { EmailCodes } from './email-codes.service';
import { EnrollmentTokenAuthenticator } from './enrollment-token.authenticator';
import { FactorVerifier } from './factor-verifier.service';
import { MeMfaController } from './me-mfa.controller';
import { MfaAccounts } from './mfa-accounts.service';
import { MfaAdminService } from './mfa-admin.service';
import { MfaAuthController } from './mfa-auth.controller';
import { MfaCrypto } from './mfa-crypto.service';
import { MfaLoginService } from './mfa-login.service';
import { MfaRepository } from './mfa.repository';
import { StepUpService } from './step-up.service';
import { TotpEnrollmentService } from './totp-enrollment.service';
import { UsersMfaController } from './users-mfa.controller';

/**
 * Second factors: TOTP, emailed codes, recovery codes, their enforcement at login (as
 * Sessions' login gate), the enrolment-only credential, step-up and the admin reset.
 * Needs the global Database, Audit, Crypto, Store, Auth and SigningKeys modules from the host.
 */
@Module({
  imports: [SessionsModule, UsersModule, MailModule, PasswordModule],
  controllers: [MfaAuthController, MeMfaController, UsersMfaController],
  providers: [
    MfaRepository,
    MfaCrypto,
    MfaAccounts,
    FactorVerifier,
    EmailCodes,
    MfaLoginService,
    StepUpService,
    TotpEnrollmentService,
    MfaAdminService,
    EnrollmentTokenAuthenticator,
  ],
})
export class MfaModule {}
