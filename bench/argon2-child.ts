import { createRequire } from 'node:module';
import { join } from 'node:path';
import { failAndExit, send, tieToParent } from './child';

/**
 * Runs runArgon2Bench() from bench/argon2.ts (owned by the password work) in its own
 * process, so its threadpool and CPU use never overlap the HTTP scenarios. Loaded by path
 * so this file compiles whether or not argon2.ts exists yet.
 */
type RunArgon2Bench = (opts?: {
  durationMs?: number;
  concurrency?: number;
}) => Promise<Record<string, unknown>>;

async function main(): Promise<void> {
  tieToParent();
  const mod = createRequire(__filename)(join(__dirname, 'argon2')) as {
    runArgon2Bench?: RunArgon2Bench;
  };
  if (typeof mod.runArgon2Bench !== 'function')
    throw new Error('bench/argon2.ts does not export runArgon2Bench');
  const durationMs = process.env.BENCH_ARGON2_DURATION_MS
    ? Number(process.env.BENCH_ARGON2_DURATION_MS)
    : undefined;
  const data = await mod.runArgon2Bench(durationMs ? { durationMs } : undefined);
  await send({ type: 'result', data });
  process.exit(0);
}

main().catch(failAndExit);
