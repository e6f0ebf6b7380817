import { DynamicModule, Module, Type } from '@nestjs/common';
import { AccountsModule } from '@tessera/accounts';
import { ApiKeysModule } from '@tessera/api-keys';
import { AuditModule } from '@tessera/audit';
import { AuditEventsModule } from '@tessera/audit-events';
import { AuthModule } from '@tessera/auth';
import { ConfigModule, TesseraConfig } from '@tessera/config';
import { CryptoModule } from '@tessera/crypto';
import { DatabaseModule } from '@tessera/database';
import { HealthModule } from '@tessera/health';
import { HttpModule } from '@tessera/http';
import { MailModule } from '@tessera/mail';
import { MfaModule } from '@tessera/mfa';
import { OAuthModule } from '@tessera/oauth';
import { PasswordModule } from '@tessera/password';
import { RbacModule } from '@tessera/rbac';
import { SessionsModule } from '@tessera/sessions';
import { SigningKeysModule } from '@tessera/signing-keys';
import { StoreModule } from '@tessera/store';
import { TenantsModule } from '@tessera/tenants';
import { UsersModule } from '@tessera/users';

/** The API only composes capability modules; each lives in libs/<name>. */
@Module({})
export class AppModule {
  static forRoot(config: TesseraConfig, extra: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        HttpModule,
        StoreModule,
        DatabaseModule,
        AuditModule,
        AuthModule,
        CryptoModule,
        MailModule,
        PasswordModule,
        HealthModule,
        TenantsModule,
        UsersModule,
        AccountsModule,
        SigningKeysModule,
        SessionsModule,
        MfaModule,
        AuditEventsModule,
        ApiKeysModule,
        OAuthModule,
        RbacModule,
        ...extra,
      ],
    };
  }
}
