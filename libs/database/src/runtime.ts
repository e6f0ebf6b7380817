import { Logger } from '@nestjs/common';
import { TesseraConfig } from '@tessera/config';
import { decodeMasterKey } from '@tessera/config';
import { EmbeddedPostgresHandle, loadOrCreateEmbeddedSecrets, startEmbeddedPostgres } from './embedded';
import { runMigrations } from './migrate';
import { provisionDatabase } from './provision';

export interface PreparedRuntime {
  config: TesseraConfig;
  embedded?: EmbeddedPostgresHandle;
  stop(): Promise<void>;
}

/**
 * Resolves the database side of the configuration before the app is built: in the
 * embedded default starts PostgreSQL under the data dir, creates the two roles and the
 * database, keeps a generated development master key; then applies migrations when
 * configured. Shared by the API and the CLI so both run on the same database.
 */
export async function prepareRuntime(config: TesseraConfig, opts: { migrate?: boolean } = {}): Promise<PreparedRuntime> {
  const logger = new Logger('Runtime');
  let embedded: EmbeddedPostgresHandle | undefined;
  let resolved = config;
  if (config.database.mode === 'embedded') {
    const secrets = loadOrCreateEmbeddedSecrets(config.dataDir);
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      superPassword: secrets.superPassword,
      port: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
    });
    const urls = await provisionDatabase({
      adminUrl: embedded.adminUrl,
      database: 'tessera',
      ownerPassword: secrets.ownerPassword,
      appPassword: secrets.appPassword,
    });
    resolved = {
      ...config,
      database: { ...config.database, url: urls.appUrl, ownerUrl: urls.ownerUrl },
      security: { masterKey: config.security.masterKey ?? decodeMasterKey(secrets.masterKey) },
    };
  }
  const migrate = opts.migrate ?? resolved.database.migrateOnStart;
  if (migrate) {
    if (!resolved.database.ownerUrl) {
      throw new Error('MIGRATE_ON_START needs DATABASE_OWNER_URL (the owner role); or run `npm run migrate` separately');
    }
    const applied = await runMigrations(resolved.database.ownerUrl);
    if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`);
  }
  return {
    config: resolved,
    embedded,
    stop: async () => {
      await embedded?.stop();
    },
  };
}
