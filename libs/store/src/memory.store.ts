import { BatchWrite, KeyValueStore, parseVersioned } from './store';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Single-process store for the embedded default. Not shared between instances. */
export class MemoryStore implements KeyValueStore {
  readonly kind = 'memory' as const;
  private readonly map = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 30_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }

  private sweep() {
    const now = Date.now();
    for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
  }

  async get(key: string) {
    return this.live(key)?.value ?? null;
  }
  async getMany(keys: string[]) {
    return keys.map((k) => this.live(k)?.value ?? null);
  }
  async setIfNewer(key: string, version: number, value: string, ttlMs: number) {
    const current = parseVersioned(this.live(key)?.value ?? null);
    if (current && current.version >= version) return false;
    await this.set(key, `${version}|${value}`, ttlMs);
    return true;
  }
  async set(key: string, value: string, ttlMs: number) {
    this.put(key, value, ttlMs);
  }
  private put(key: string, value: string, ttlMs: number) {
    this.map.set(key, { value, expiresAt: Date.now() + Math.max(1, ttlMs) });
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(key)) return false;
    await this.set(key, value, ttlMs);
    return true;
  }
  async del(...keys: string[]) {
    let n = 0;
    for (const k of keys) if (this.live(k) && this.map.delete(k)) n++;
    return n;
  }
  async incrWindow(key: string, windowMs: number) {
    const e = this.live(key);
    if (!e) {
      this.map.set(key, { value: '1', expiresAt: Date.now() + windowMs });
      return { count: 1, ttlMs: windowMs };
    }
    e.value = String(Number(e.value) + 1);
    return { count: Number(e.value), ttlMs: e.expiresAt - Date.now() };
  }
  async incrWindowUnlessBlocked(key: string, blockerKey: string, windowMs: number) {
    const blocker = this.live(blockerKey);
    const blockedMs = blocker ? blocker.expiresAt - Date.now() : 0;
    if (blockedMs > 0) return { count: 0, ttlMs: 0, blockedMs };
    return { ...(await this.incrWindow(key, windowMs)), blockedMs: 0 };
  }
  async addToSet(key: string, members: string[], ttlMs: number) {
    this.addMembers(key, members, ttlMs);
  }
  private addMembers(key: string, members: string[], ttlMs: number) {
    // As in Redis, a set with no members does not exist: adding none creates nothing.
    if (!members.length) return;
    const e = this.live(key);
    const set = new Set<string>(e ? (JSON.parse(e.value) as string[]) : []);
    for (const m of members) set.add(m);
    this.put(key, JSON.stringify([...set]), ttlMs);
  }
  async writeBatch(ops: BatchWrite[], options?: { unlessExists?: string[] }) {
    return this.applyBatch(ops, options?.unlessExists ?? []);
  }
  async writeBatchThenGet(ops: BatchWrite[], keys: string[]) {
    this.applyBatch(ops, []);
    return keys.map((k) => this.live(k)?.value ?? null);
  }
  /** Synchronous, so atomic within this process, like the Redis script. */
  private applyBatch(ops: BatchWrite[], guards: string[]): boolean {
    if (guards.some((k) => this.live(k))) return false;
    for (const op of ops) {
      if (op.kind === 'set') this.put(op.key, op.value, op.ttlMs);
      else this.addMembers(op.key, op.members, op.ttlMs);
    }
    return true;
  }
  async takeSet(key: string) {
    const e = this.live(key);
    this.map.delete(key);
    return e ? (JSON.parse(e.value) as string[]) : [];
  }
  async ttl(key: string) {
    const e = this.live(key);
    return e ? e.expiresAt - Date.now() : -1;
  }
  async ping() {}
  async close() {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}
