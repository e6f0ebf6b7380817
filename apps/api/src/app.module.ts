import { DynamicModule, Module, Type } from '@nestjs/common';
import { AuditModule } from '@tessera/audit';
import { AuthModule } from '@tessera/auth';
import { ConfigModule, TesseraConfig } from '@tessera/config';
import { DatabaseModule } from '@tessera/database';
import { HealthModule } from '@tessera/health';
import { HttpModule } from '@tessera/http';
import { StoreModule } from '@tessera/store';

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
        HealthModule,
        ...extra,
      ],
    };
  }
}
