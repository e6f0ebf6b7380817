import 'reflect-metadata';
import { ConfigError, loadConfig } from '@tessera/config';
import { prepareRuntime } from '@tessera/database';
import { createApiApp } from './create-app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const runtime = await prepareRuntime(config);
  const app = await createApiApp(runtime.config);
  const stop = async () => {
    await app.close();
    await runtime.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await app.listen({ port: runtime.config.http.port, host: runtime.config.http.host });
  const c = runtime.config;
  const url = `http://${c.http.host === '0.0.0.0' ? 'localhost' : c.http.host}:${c.http.port}`;
  const embedded = c.database.mode === 'embedded';
  const lines = [
    '',
    `  Tessera API listening on ${url}  (public URL ${c.http.publicUrl})`,
    `  mode:     ${embedded ? 'EMBEDDED DEFAULT (development only)' : 'external services'}`,
    `  database: ${embedded ? `embedded PostgreSQL on 127.0.0.1:${runtime.embedded?.port}, data in ${c.dataDir}/pg` : 'DATABASE_URL'}`,
    `  cache:    ${c.redis.mode === 'redis' ? 'Redis (REDIS_URL)' : 'in-process memory (single instance only)'}`,
    `  mail:     ${c.mail.mode === 'smtp' ? 'SMTP (SMTP_URL)' : 'printed to this console'}`,
    `  docs:     ${url}/docs   health: ${url}/health/ready`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  console.error('Tessera failed to start:', err);
  process.exit(1);
});
