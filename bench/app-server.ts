import 'reflect-metadata';
import { loadConfig } from '@tessera/config';
import cluster from 'node:cluster';
import { createServer, type AddressInfo } from 'node:net';
import { createApiApp } from '../apps/api/src/create-app';
import { failAndExit, send, tieToParent } from './child';

/**
 * The real API, built exactly as main.ts builds it: loadConfig(process.env) and
 * createApiApp(config) with every global guard, pipe, filter, hook and the access log.
 * The parent passes the environment (database, store, LOG_LEVEL=info) and points this
 * process's stdout at a file, so the per-request log line is written as in production
 * (pino to stdout) and counted in the cost.
 *
 * With WORKERS > 1 (the `app-scaled` server) this process is the cluster primary, as
 * main.ts is in production: it picks a free port, forks the workers that share it, and
 * reports ready once every worker listens.
 */
async function single(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await createApiApp(config);
  tieToParent(() => app.close());
  await app.listen({ port: config.http.port, host: '127.0.0.1' });
  await send({ type: 'ready', port: (app.getHttpServer().address() as AddressInfo).port });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function primary(workers: number): Promise<void> {
  const port = await freePort();
  tieToParent(async () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  });
  let ready = 0;
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < workers; i++) {
      const w = cluster.fork({ ...process.env, PORT: String(port) });
      // A worker stopped while the primary still talks to it: EPIPE on the channel, not a crash.
      w.on('error', () => undefined);
      w.on('message', (m: { type?: string }) => {
        if (m?.type === 'ready' && ++ready === workers) resolve();
      });
      w.on('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    }
  });
  await send({ type: 'ready', port });
}

async function worker(): Promise<void> {
  // Closing after the primary is gone: the channel write fails (EPIPE) — nothing to report to.
  process.on('error', () => undefined);
  const config = loadConfig(process.env);
  const app = await createApiApp(config);
  await app.listen({ port: config.http.port, host: '127.0.0.1' });
  process.send?.({ type: 'ready' });
  process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
}

const workers = Number(process.env.WORKERS ?? 1);
(workers > 1 ? (cluster.isPrimary ? primary(workers) : worker()) : single()).catch(failAndExit);
