/**
 * argon2id throughput and latency at the parameters passwords are really hashed with.
 * Run directly: `node -r @swc-node/register bench/argon2.ts` (prints JSON); the bench
 * runner imports runArgon2Bench(). Set UV_THREADPOOL_SIZE to see how the pool size
 * changes the numbers: argon2 runs on libuv's threadpool, so it bounds concurrent hashes.
 */
import { availableParallelism } from 'node:os';
import { ARGON2_PARAMS, PasswordHasher, type Argon2Params } from '@tessera/password';

export interface Argon2BenchOptions {
  /** How long each phase (hash, then verify) runs; default 5 s. */
  durationMs?: number;
  /** Operations in flight at once; default the libuv threadpool size. */
  concurrency?: number;
}

export interface Argon2BenchResult {
  params: Argon2Params;
  threadpool: number;
  concurrency: number;
  cpus: number;
  hashPerSec: number;
  verifyPerSec: number;
  hashP50Ms: number;
  hashP99Ms: number;
  verifyP50Ms: number;
  verifyP99Ms: number;
}

interface PhaseResult {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

const PASSWORD = 'kx9-Velvet-Harbor-bench';

/** libuv's default pool is 4 threads unless UV_THREADPOOL_SIZE says otherwise. */
function threadpoolSize(): number {
  const configured = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(configured) && configured > 0 ? configured : 4;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** Keeps `concurrency` operations in flight until the deadline; every latency is kept. */
async function measure(
  operation: () => Promise<unknown>,
  durationMs: number,
  concurrency: number,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await operation();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedSec = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSec: round(latencies.length / elapsedSec, 1),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
  };
}

export async function runArgon2Bench(opts: Argon2BenchOptions = {}): Promise<Argon2BenchResult> {
  const threadpool = threadpoolSize();
  const durationMs = opts.durationMs ?? 5000;
  const concurrency = opts.concurrency ?? threadpool;
  // The production hasher, so NFKC, the length guard and PHC reordering are included.
  const hasher = new PasswordHasher();
  const stored = await hasher.hash(PASSWORD);
  // Warm-up: the first hashes pay for allocating each thread's memory.
  await Promise.all(Array.from({ length: concurrency }, () => hasher.verify(stored, PASSWORD)));

  const hash = await measure(() => hasher.hash(PASSWORD), durationMs, concurrency);
  const verify = await measure(() => hasher.verify(stored, PASSWORD), durationMs, concurrency);
  return {
    params: { ...ARGON2_PARAMS },
    threadpool,
    concurrency,
    cpus: availableParallelism(),
    hashPerSec: hash.perSec,
    verifyPerSec: verify.perSec,
    hashP50Ms: hash.p50Ms,
    hashP99Ms: hash.p99Ms,
    verifyP50Ms: verify.p50Ms,
    verifyP99Ms: verify.p99Ms,
  };
}

if (require.main === module) {
  runArgon2Bench()
    .then((result) => console.log(JSON.stringify(result, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
