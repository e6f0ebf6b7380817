import Redis from 'ioredis';
import { BatchWrite, KeyValueStore, StoreUnavailableError } from './store';

/**
 * Short timeouts and no offline queue: when Redis is away a command fails at once
 * (and callers answer 503) instead of queueing and resolving later.
 */
export function createRedisClient(url: string, keyPrefix = 'tsr:'): Redis {
  const client = new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Commands issued in the same tick by concurrent requests share one socket write.
    enableAutoPipelining: true,
  });
  // Errors surface on commands; the connection-level event only needs to not crash us.
  client.on('error', () => undefined);
  return client;
}

/** Counts a hit on KEYS[1] in a window of ARGV[1] ms (started by the first hit): n, t = count, ms left. */
const COUNT_IN_WINDOW = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end`;

const INCR_WINDOW = `${COUNT_IN_WINDOW}
return {n, t}`;

/** INCR_WINDOW on KEYS[1] unless KEYS[2] (a lock) is live: then {0, 0, its PTTL}. */
const INCR_WINDOW_UNLESS_BLOCKED = `
local b = redis.call('PTTL', KEYS[2])
if b > 0 then return {0, 0, b} end${COUNT_IN_WINDOW}
return {n, t, 0}`;

const SET_IF_NEWER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local bar = string.find(cur, '|', 1, true)
  if bar and tonumber(string.sub(cur, 1, bar - 1)) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1`;

/**
 * writeBatch's writes in one script (atomic, like MULTI/EXEC, but one command on the wire
 * instead of MULTI, two per set and EXEC: the token cache's write on every login, refresh
 * and token issuance was ~8% of the token endpoint's CPU as a MULTI).
 * ARGV[1] = g, the number of guard keys: KEYS[1..g] must all be absent, or nothing is
 * written (returns -1). ARGV[2] = r, the number of keys read after the writes:
 * KEYS[g + 1..g + r] (returns their values; else the number of writes).
 * KEYS[g + r + i] is op i's key; ARGV holds (kind, value, px) per op after ARGV[2]:
 * 's' = SET value PX px, 'a' = SADD value + PEXPIRE px.
 */
const WRITE_BATCH = `
local g, r = tonumber(ARGV[1]), tonumber(ARGV[2])
if g > 0 and redis.call('EXISTS', unpack(KEYS, 1, g)) > 0 then return -1 end
for i = g + r + 1, #KEYS do
  local j = 3 * (i - g - r)
  local kind, v, px = ARGV[j], ARGV[j + 1], ARGV[j + 2]
  if kind == 's' then
    redis.call('SET', KEYS[i], v, 'PX', px)
  else
    redis.call('SADD', KEYS[i], v)
    redis.call('PEXPIRE', KEYS[i], px)
  end
end
if r > 0 then return redis.call('MGET', unpack(KEYS, g + 1, g + r)) end
return #KEYS - g - r`;

/** The scripts, sent by SHA (EVALSHA, ioredis loads them on a NOSCRIPT); keys get the client's prefix. */
interface StoreScripts {
  tsrIncrWindow(key: string, windowMs: string): Promise<[number, number]>;
  tsrIncrWindowUnlessBlocked(key: string, blockerKey: string, windowMs: string): Promise<[number, number, number]>;
  tsrSetIfNewer(key: string, version: string, value: string, px: string): Promise<number>;
  tsrWriteBatch(numKeys: number, ...keysThenArgs: string[]): Promise<number | (string | null)[]>;
}

const unavailable = (err: unknown): never => {
  throw new StoreUnavailableError(err);
};

export class RedisStore implements KeyValueStore {
  readonly kind = 'redis' as const;
  private readonly scripts: StoreScripts;

  /** Keys are namespaced by the client's `keyPrefix` (REDIS_PREFIX). */
  constructor(readonly client: Redis) {
    client.defineCommand('tsrIncrWindow', { numberOfKeys: 1, lua: INCR_WINDOW });
    client.defineCommand('tsrIncrWindowUnlessBlocked', { numberOfKeys: 2, lua: INCR_WINDOW_UNLESS_BLOCKED });
    client.defineCommand('tsrSetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER });
    client.defineCommand('tsrWriteBatch', { lua: WRITE_BATCH });
    this.scripts = client as unknown as StoreScripts;
  }

  /** Wait for the first connection (start-up only); later failures are per command. */
  async connected(timeoutMs = 3000): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreUnavailableError(new Error('Redis did not answer'))), timeoutMs);
      this.client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Any failure becomes a 503 (fail closed). One promise per call: no async wrapper on the hot path. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return fn().catch(unavailable);
    } catch (err) {
      return unavailable(err);
    }
  }

  get(key: string) {
    return this.run(() => this.client.get(key));
  }
  getMany(keys: string[]) {
    if (!keys.length) return Promise.resolve([]);
    return this.run(() => this.client.mget(...keys));
  }
  async setIfNewer(key: string, version: number, value: string, ttlMs: number) {
    const r = await this.run(() => this.scripts.tsrSetIfNewer(key, String(version), value, String(Math.max(1, Math.ceil(ttlMs)))));
    return r === 1;
  }
  async set(key: string, value: string, ttlMs: number) {
    await this.run(() => this.client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    const r = await this.run(() => this.client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
    return r === 'OK';
  }
  async del(...keys: string[]) {
    if (!keys.length) return 0;
    return this.run(() => this.client.del(...keys));
  }
  async incrWindow(key: string, windowMs: number) {
    const [count, ttlMs] = await this.run(() => this.scripts.tsrIncrWindow(key, String(Math.ceil(windowMs))));
    return { count, ttlMs };
  }
  async incrWindowUnlessBlocked(key: string, blockerKey: string, windowMs: number) {
    const [count, ttlMs, blockedMs] = await this.run(() =>
      this.scripts.tsrIncrWindowUnlessBlocked(key, blockerKey, String(Math.ceil(windowMs))),
    );
    return { count, ttlMs, blockedMs };
  }
  async addToSet(key: string, members: string[], ttlMs: number) {
    if (!members.length) return;
    await this.run(() =>
      this.client
        .multi()
        .sadd(key, ...members)
        .pexpire(key, Math.max(1, Math.ceil(ttlMs)))
        .exec(),
    );
  }
  async writeBatch(ops: BatchWrite[], options?: { unlessExists?: string[] }) {
    return (await this.runWriteBatch(options?.unlessExists ?? [], [], ops)) !== -1;
  }
  async writeBatchThenGet(ops: BatchWrite[], keys: string[]) {
    const out = await this.runWriteBatch([], keys, ops);
    return keys.length ? (out as (string | null)[]) : [];
  }
  /** The WRITE_BATCH script (guards, reads, then the writes); no round trip when there is no key at all. */
  private async runWriteBatch(guards: string[], reads: string[], ops: BatchWrite[]) {
    const keys: string[] = [...guards, ...reads];
    const args: string[] = [String(guards.length), String(reads.length)];
    for (const op of ops) {
      const px = String(Math.max(1, Math.ceil(op.ttlMs)));
      if (op.kind === 'set') {
        keys.push(op.key);
        args.push('s', op.value, px);
      } else {
        for (const member of op.members) {
          keys.push(op.key);
          args.push('a', member, px);
        }
      }
    }
    if (!keys.length) return 0;
    return this.run(() => this.scripts.tsrWriteBatch(keys.length, ...keys, ...args));
  }
  async takeSet(key: string) {
    const res = await this.run(() => this.client.multi().smembers(key).del(key).exec());
    const [err, members] = res?.[0] ?? [null, []];
    if (err) throw new StoreUnavailableError(err);
    return (members as string[]) ?? [];
  }
  async ttl(key: string) {
    const t = await this.run(() => this.client.pttl(key));
    return t < 0 ? -1 : t;
  }
  async ping() {
    await this.run(() => this.client.ping());
  }
  async close() {
    this.client.disconnect();
  }
}
