import 'reflect-metadata';
import { loadConfig } from '@tessera/config';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../apps/api/src/create-app';
import { failAndExit, send, tieToParent } from './child';

/**
 * The real API, built exactly as main.ts builds it: loadConfig(process.env) and
 * createApiApp(config) with every global guard, pipe, filter, hook and the access log.
 * The parent passes the environment (database, store, LOG_LEVEL=info) and points this
 * process's stdout at a file, so the per-request log line is written as in production
 * (pino to stdout) and counted in the cost.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await createApiApp(config);
  tieToParent(() => app.close());
  await app.listen({ port: config.http.port, host: '127.0.0.1' });
  await send({ type: 'ready', port: (app.getHttpServer().address() as AddressInfo).port });
}

main().catch(failAndExit);
