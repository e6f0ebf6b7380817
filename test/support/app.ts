import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TesseraConfig } from '@tessera/config';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApiApp } from '../../apps/api/src/create-app';
import { testConfig } from './config';

export { TEST_MASTER_KEY, testConfig } from './config';
export { sql } from './db';

/** Redis-only tests run when REDIS_URL is set (CI always sets it and fails on a skip). */
export const describeRedis = process.env.REDIS_URL ? describe : describe.skip;

/** A Redis key prefix per test file, so parallel files never share counters. */
export function uniquePrefix(): string {
  return `tsr-test:${randomBytes(6).toString('hex')}:`;
}

/** Collects log lines (JSON) written by an app under test. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  config: TesseraConfig;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startApp(
  env: Record<string, string | undefined> = {},
  opts: { extraModules?: Type[]; logs?: LogCapture } = {},
): Promise<TestApp> {
  const config = testConfig(env);
  const app = await createApiApp(config, { extraModules: opts.extraModules, logDestination: opts.logs });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    close: () => app.close(),
  };
}

