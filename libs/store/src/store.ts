import { ProblemError } from '@tessera/http';

/**
 * The small key-value contract Tessera needs from Redis: the token cache, rate-limit
 * counters, one-shot markers. Two implementations honour it (Redis, in-memory) and one
 * contract suite (store.contract.ts) runs against both.
 */
export interface KeyValueStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  /** Several keys in one round trip (null for each missing one), in the order asked. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  /** Set with a time to live in milliseconds (always > 0: nothing lives forever here). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Set only if absent; true when this call created it (atomic). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Versioned write: stores `value` under `key` only if no entry with a version ≥ `version`
   * is there (atomic). Read back with `parseVersioned`. Lets a writer that read older data
   * lose against one that read newer data, whatever order their writes arrive in.
   */
  setIfNewer(key: string, version: number, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes keys; returns how many existed. */
  del(...keys: string[]): Promise<number>;
  /** Atomically increments a counter, starting its window on first hit; returns count and ms left. */
  incrWindow(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;
  /**
   * incrWindow unless `blockerKey` is live (a lock): then nothing is counted and the answer
   * is `{ count: 0, ttlMs: 0, blockedMs }` with the blocker's remaining ms. One round trip,
   * atomic, for "refuse while locked, else count this attempt".
   */
  incrWindowUnlessBlocked(key: string, blockerKey: string, windowMs: number): Promise<{ count: number; ttlMs: number; blockedMs: number }>;
  /** Adds members to a set, (re)setting the set's time to live. */
  addToSet(key: string, members: string[], ttlMs: number): Promise<void>;
  /**
   * Several writes in one round trip, applied together (atomic): `set` entries and
   * `addToSet` entries (members added, the set's time to live reset). With `unlessExists`,
   * nothing is written if any of those keys exists, decided atomically with the writes
   * (a revocation tombstone checked and the token indexed in one step); returns whether
   * the writes were applied.
   */
  writeBatch(ops: BatchWrite[], options?: { unlessExists?: string[] }): Promise<boolean>;
  /**
   * writeBatch's writes, then a read of `keys`, in one atomic step (one round trip): what
   * a writer must check again once its write is visible (e.g. that a client was not
   * disabled while its token was being signed) without a second round trip.
   */
  writeBatchThenGet(ops: BatchWrite[], keys: string[]): Promise<(string | null)[]>;
  /** Returns every member of a set and deletes it, atomically. */
  takeSet(key: string): Promise<string[]>;
  /** Remaining time to live in ms, or -1 when the key does not exist. */
  ttl(key: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type BatchWrite =
  | { kind: 'set'; key: string; value: string; ttlMs: number }
  | { kind: 'addToSet'; key: string; members: string[]; ttlMs: number };

export const KV_STORE = Symbol('KV_STORE');

/** The cache or limiter backend is unreachable: refuse (503), never fail open. */
export class StoreUnavailableError extends ProblemError {
  constructor(cause?: unknown) {
    super(503, 'service-unavailable', 'Service unavailable', 'A backing service is unavailable; retry shortly.', {}, {
      'Retry-After': '5',
    });
    this.cause = cause;
  }
}

/** A value written by setIfNewer: `<version>|<value>`. */
export function parseVersioned(raw: string | null): { version: number; value: string } | null {
  if (raw === null) return null;
  const bar = raw.indexOf('|');
  if (bar < 1) return null;
  const version = Number(raw.slice(0, bar));
  return Number.isSafeInteger(version) ? { version, value: raw.slice(bar + 1) } : null;
}
