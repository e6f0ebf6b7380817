import { dropDatabase, provisionDatabase, runMigrations } from '@tessera/database';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { spawnTsChild } from './processes';
import type { ServicesInfo } from './services-child';
import type { BenchDatabase, BenchStore } from './types';

export interface BenchServices {
  database: BenchDatabase;
  /**
   * Another fresh, migrated database on the same server (a round of its own: stateful
   * scenarios — sessions, audit rows — then start every round from the same empty state).
   * Dropped by teardown() like the first.
   */
  freshDatabase(): Promise<BenchDatabase>;
  /** Temporary folder for this run (servers' stdout logs, data dir); removed at the end. */
  workDir: string;
  /** Drops the database, stops the embedded PostgreSQL, removes workDir. Safe to call twice. */
  teardown(): Promise<void>;
}

const secret = () => randomBytes(24).toString('base64url');

/**
 * The tests' approach (test/support/global-setup.ts): with DATABASE_URL set it is an admin
 * URL on which a fresh database and the two roles are provisioned; otherwise an embedded
 * PostgreSQL is started in a temporary folder (by services-child.ts, so it never outlives
 * the run). Migrations run as the owner; the app server connects as the application role,
 * exactly like production.
 *
 * The roles tessera_owner / tessera_app are cluster-wide and provisioning sets their
 * passwords. On a shared DATABASE_URL cluster the bench therefore uses the same development
 * passwords as test/support/global-setup.ts (overridable with BENCH_OWNER_PASSWORD /
 * BENCH_APP_PASSWORD), so a test run in parallel keeps working. Development clusters only.
 */
export async function startBenchServices(
  log: (line: string) => void,
  childEnv: NodeJS.ProcessEnv,
  maxLifetimeMs: number,
): Promise<BenchServices> {
  const external = process.env.DATABASE_URL;
  const services = spawnTsChild('services-child.ts', {
    env: { ...childEnv, ...(external ? {} : { BENCH_EMBEDDED_PG: '1' }) },
    timeoutMs: 120_000,
    maxLifetimeMs,
    // On its own it stops PostgreSQL and removes the folder when this process goes.
    killOnExit: false,
  });
  const stopServices = () => services.stop();
  let info: ServicesInfo;
  try {
    const m = await services.message;
    if (m.type !== 'result') throw new Error(`services child sent ${m.type}`);
    info = m.data as ServicesInfo;
  } catch (err) {
    await stopServices();
    throw err;
  }
  const adminUrl = external ?? info.embeddedAdminUrl!;
  if (!external) log(`embedded PostgreSQL started in ${info.workDir}`);

  const base = `tessera_bench_${Date.now().toString(36)}_${process.pid}`;
  const created: string[] = [];
  let done = false;
  const teardown = async () => {
    if (done) return;
    done = true;
    try {
      // An embedded cluster goes away whole; a database on DATABASE_URL is dropped.
      if (external) for (const name of created) await dropDatabase(external, name);
    } finally {
      await stopServices();
    }
  };
  // Role passwords are set once per run (provisioning sets them cluster-wide).
  const ownerPassword = process.env.BENCH_OWNER_PASSWORD ?? (external ? 'tessera-test-owner' : secret());
  const appPassword = process.env.BENCH_APP_PASSWORD ?? (external ? 'tessera-test-app' : secret());
  const freshDatabase = async (): Promise<BenchDatabase> => {
    const name = created.length ? `${base}_${created.length + 1}` : base;
    created.push(name);
    const urls = await provisionDatabase({ adminUrl, database: name, ownerPassword, appPassword, recreate: true });
    const applied = await runMigrations(urls.ownerUrl);
    log(
      `database ${name} provisioned (${external ? 'DATABASE_URL' : 'embedded'}), ` +
        `${applied.length} migrations applied`,
    );
    const superUrl = new URL(adminUrl);
    superUrl.pathname = `/${name}`;
    return {
      kind: external ? 'external' : 'embedded',
      name,
      appUrl: urls.appUrl,
      ownerUrl: urls.ownerUrl,
      superUrl: superUrl.toString(),
    };
  };
  try {
    return { database: await freshDatabase(), freshDatabase, workDir: info.workDir, teardown };
  } catch (err) {
    await teardown().catch(() => undefined);
    throw err;
  }
}

export function benchStore(): BenchStore {
  const url = process.env.REDIS_URL;
  const prefix = `tsr-bench:${randomBytes(6).toString('hex')}:`;
  return url ? { kind: 'redis', url, prefix } : { kind: 'memory', prefix };
}

/** Scheme, host and path of a URL without credentials, for the report. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/**
 * Deletes this run's keys (sessions, token cache, rate-limit and brute-force counters, the
 * reference server's token) from a shared Redis: everything under the run's prefix.
 * Returns how many keys went.
 */
export async function clearStoreKeys(store: BenchStore): Promise<number> {
  if (store.kind !== 'redis' || !store.url) return 0;
  const redis = new Redis(store.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${store.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
