import 'reflect-metadata';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, TesseraConfig } from '@tessera/config';
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
  if (config.http.workers > 1 && cluster.isPrimary) return primary(config);
  // A worker's primary has applied the migrations already.
  // A worker closing after its primary is gone fails to write the channel (EPIPE): not a crash.
  if (cluster.isWorker) process.on('error', () => undefined);
  const runtime = await prepareRuntime(config, cluster.isWorker ? { migrate: false } : {});
  const app = await createApiApp(runtime.config);
  const stop = async () => {
    await app.close();
    await runtime.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await app.listen({ port: runtime.config.http.port, host: runtime.config.http.host });
  if (cluster.isWorker) return;
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

/**
 * WORKERS > 1: this process applies the migrations, then forks the workers, which share the
 * port (node:cluster hands out connections). Instances are stateless — PostgreSQL and Redis
 * hold everything — so a worker is one more instance. A worker that dies is replaced.
 */
async function primary(config: TesseraConfig): Promise<void> {
  await (await prepareRuntime(config)).stop();
  let stopping = false;
  // A worker that dies while the primary talks to it is an EPIPE on its channel, not a crash.
  const fork = () => cluster.fork().on('error', () => undefined);
  for (let i = 0; i < config.http.workers; i++) fork();
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    console.error(`worker ${worker.process.pid} exited (${code}); starting another`);
    fork();
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(`\n  Tessera API: ${config.http.workers} workers on port ${config.http.port}\n\n`);
}

main().catch((err: unknown) => {
  console.error('Tessera failed to start:', err);
  process.exit(1);
});
