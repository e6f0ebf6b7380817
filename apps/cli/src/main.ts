import 'reflect-metadata';
import { ConfigError, loadConfig } from '@tessera/config';
import { prepareRuntime } from '@tessera/database';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

/**
 * `npm run cli -- <command>`: against the embedded default (shares a running embedded
 * PostgreSQL, or starts it) or against DATABASE_URL / DATABASE_OWNER_URL.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // Migrations are an explicit command here, except on the embedded default, which the
  // API also migrates on start.
  const runtime = await prepareRuntime(config, { migrate: config.database.mode === 'embedded' });
  try {
    await CommandFactory.run(CliModule.forRoot(runtime.config), { logger: ['error', 'warn'], errorHandler: (err) => {
      console.error(err.message);
      process.exitCode = 2;
    } });
  } finally {
    await runtime.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
