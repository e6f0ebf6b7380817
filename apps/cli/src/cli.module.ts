import { DynamicModule, Module } from '@nestjs/common';
import { AccountTokensModule } from '@tessera/account-tokens';
import { AccountsModule } from '@tessera/accounts';
import { AuditModule } from '@tessera/audit';
import { AuthModule } from '@tessera/auth';
import { ConfigModule, TesseraConfig } from '@tessera/config';
import { CryptoModule } from '@tessera/crypto';
import { DatabaseModule } from '@tessera/database';
import { MailModule } from '@tessera/mail';
import { PasswordModule } from '@tessera/password';
import { SessionsModule } from '@tessera/sessions';
import { SigningKeysModule } from '@tessera/signing-keys';
import { StoreModule } from '@tessera/store';
import { TenantsModule } from '@tessera/tenants';
import { UsersModule } from '@tessera/users';
import { AuditCommand, AuditVerifyCommand } from './commands/audit.command';
import { BootstrapCommand } from './commands/bootstrap.command';
import { KeysCommand, KeysListCommand, KeysRotateCommand } from './commands/keys.command';
import { SessionsCommand, SessionsPurgeCommand } from './commands/sessions.command';
import { MigrateCommand } from './commands/migrate.command';
import { TenantsCommand, TenantsCreateCommand, TenantsListCommand } from './commands/tenants.command';
import { UsersCommand, UsersDisableCommand, UsersImportCommand, UsersInviteCommand } from './commands/users.command';

/**
 * Operator commands. The CLI composes the same capability modules as the API and calls
 * the same services, so both share one code path and one audit trail (actor `operator`).
 */
@Module({})
export class CliModule {
  static forRoot(config: TesseraConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        StoreModule,
        DatabaseModule,
        AuditModule,
        AuthModule,
        CryptoModule,
        MailModule,
        PasswordModule,
        TenantsModule,
        UsersModule,
        AccountsModule,
        AccountTokensModule,
        // No key creation or rotation schedule at CLI boot (`migrate` runs before the table exists).
        SigningKeysModule.forCli(),
        // Subscribes to AccountEvents: `users disable` ends the user's sessions from the CLI too.
        SessionsModule,
      ],
      providers: [
        MigrateCommand,
        AuditCommand,
        AuditVerifyCommand,
        BootstrapCommand,
        TenantsCommand,
        TenantsCreateCommand,
        TenantsListCommand,
        UsersCommand,
        UsersInviteCommand,
        UsersDisableCommand,
        UsersImportCommand,
        KeysCommand,
        KeysListCommand,
        KeysRotateCommand,
        SessionsCommand,
        SessionsPurgeCommand,
      ],
    };
  }
}
