import { Migrator } from '@mikro-orm/migrations';
import { Options, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { MIGRATIONS } from './migrations';

/** Options shared by the app's ORM and the migration runner. */
export function baseOrmOptions(clientUrl: string, poolMax = 10): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    forceUtcTimezone: true,
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    // Every connection says who it is in pg_stat_activity.
    driverOptions: { connection: { application_name: 'tessera' } },
    migrations: {
      tableName: 'mikro_orm_migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    extensions: [Migrator],
  };
}
