import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, TesseraConfig } from '@tessera/config';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import request from 'supertest';
import { createApiApp } from '../../apps/api/src/create-app';

/** A fixed, non-placeholder master key for tests only. */
export const TEST_MASTER_KEY = Buffer.from('tessera-test-master-key-0123456789abcdef').toString('base64');

/** Redis-only tests run when REDIS_URL is set (CI always sets it and fails on a skip). */
export const describeRedis = process.env.REDIS_URL ? describe : describe.skip;

/** A Redis key prefix per test file, so parallel files never share counters. */
export function uniquePrefix(): string {
  return `tsr-test:${randomBytes(6).toString('hex')}:`;
}

export function testConfig(env: Record<string, string | undefined> = {}): TesseraConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.TEST_APP_DATABASE_URL,
    DATABASE_OWNER_URL: process.env.TEST_OWNER_DATABASE_URL,
    MIGRATE_ON_START: 'false',
    TESSERA_MASTER_KEY: TEST_MASTER_KEY,
    PUBLIC_URL: 'http://tessera.test',
    ...env,
  });
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

/** A direct connection for assertions: as the superuser (sees everything) or another role. */
export async function sql<T extends Record<string, unknown> = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
  url = process.env.TEST_SUPERUSER_DB_URL!,
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
