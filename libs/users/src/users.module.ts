import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AccountTokensModule } from '@tessera/account-tokens';
import { TenantAccess } from '@tessera/auth';
import { MailModule } from '@tessera/mail';
import { PasswordModule } from '@tessera/password';
import { ActivationController } from './activation.controller';
import { ActivationService } from './activation.service';
import { CredentialsService } from './credentials.service';
import { InvitationService } from './invitation.service';
import { MeController } from './me.controller';
import { SelfService } from './self-service.service';
import { User } from './user.entity';
import { UserAccess } from './user-access.service';
import { UserImportService } from './user-import.service';
import { UserLookup } from './user-lookup.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * Users: admin API, invitations and activation, self-service, the login password check and
 * the operator import. Needs the global Database, Audit, Crypto and Store modules and
 * AccountEvents (AuthModule) from the host (API or CLI): AccountEvents must be the one
 * instance the Sessions issue subscribes to, so it is never provided here. TenantAccess is
 * stateless and provided here too, for the CLI.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([User]),
    AccountTokensModule,
    MailModule,
    PasswordModule,
  ],
  controllers: [UsersController, ActivationController, MeController],
  providers: [
    TenantAccess,
    UserLookup,
    UserAccess,
    UsersService,
    InvitationService,
    ActivationService,
    SelfService,
    CredentialsService,
    UserImportService,
  ],
  exports: [UsersService, InvitationService, CredentialsService, UserImportService, UserAccess],
})
export class UsersModule {}
