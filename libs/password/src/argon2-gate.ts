/**
 * Caps how many argon2 operations run at once. argon2 runs on libuv's threadpool, which
 * WebCrypto (jose's ES256 token checks), fs and DNS also use: with every thread busy on a
 * ~40 ms hash, a token check queues behind them (bench/: /v1/me p99 ~160 ms during a login
 * flood). Keeping two threads free bounds that wait; on a 2-core machine the hashing rate
 * is unchanged because two concurrent hashes already use both cores.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter; otherwise release it.
      if (next) next();
      else this.active--;
    }
  }
}

/** libuv's threadpool size (UV_THREADPOOL_SIZE, default 4) minus two, at least one. */
export function defaultArgon2Concurrency(env: Record<string, string | undefined> = process.env): number {
  const pool = Number(env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, pool - 2);
}
