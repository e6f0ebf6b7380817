import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Global, Module } from '@nestjs/common';
import { TesseraConfig, TESSERA_CONFIG } from '@tessera/config';
import { baseOrmOptions } from './orm-options';
import { PreTenantLookup } from './pre-tenant-lookup.service';
import { TenantDb } from './tenant-db.service';

/** Connects as the application role. Feature modules register entities with forFeature. */
@Global()
@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      driver: PostgreSqlDriver,
      inject: [TESSERA_CONFIG],
      useFactory: (config: TesseraConfig) => {
        if (!config.database.url) throw new Error('DATABASE_URL is not resolved (embedded database not started?)');
        return {
          ...baseOrmOptions(config.database.url, config.database.poolMax),
          autoLoadEntities: true,
          registerRequestContext: false,
        };
      },
    }),
  ],
  providers: [TenantDb, PreTenantLookup],
  exports: [TenantDb, PreTenantLookup],
})
export class DatabaseModule {}
