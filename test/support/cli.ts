import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TEST_MASTER_KEY } from './config';
import type { ScratchDatabase } from './scratch-db';

const exec = promisify(execFile);
const CLI_ENTRY = 'apps/cli/src/main.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The operator CLI as a real process against a scratch database; never throws on a non-zero exit. */
export function runCli(db: ScratchDatabase, ...args: string[]): Promise<CliResult> {
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.appUrl,
    DATABASE_OWNER_URL: db.ownerUrl,
    MIGRATE_ON_START: 'false',
    TESSERA_MASTER_KEY: TEST_MASTER_KEY,
    PUBLIC_URL: 'http://tessera.test',
  };
  return exec('node', ['-r', '@swc-node/register', CLI_ENTRY, ...args], { env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}
