import { KeyValueStore, parseVersioned } from './store';

/** Tombstones take even slots, data odd ones: data read at version v beats a tombstone of v only. */
const dataSlot = (v: number) => v * 2 + 1;
const tombstoneSlot = (v: number) => v * 2;
const TOMBSTONE = '-';
/** A record that does not exist: remembered briefly so a flood of made-up ids does not reach PostgreSQL. */
export const ABSENT = '0';

/**
 * Records whose source of truth is PostgreSQL, cached in the shared store and versioned:
 * every change a reader must see bumps the row's version and, inside the same transaction,
 * writes a tombstone of the new version (`invalidate`), so the next request on any instance
 * reloads — and a reader that loaded older data can never write it back over the tombstone
 * (`setIfNewer`). Used for users' authorization (@tessera/auth), API keys and OAuth clients.
 * `decode` turns a stored value into what callers use (computed once per distinct value).
 */
export class VersionedCache<S, D = S> {
  private readonly parsed = new Map<string, D | typeof ABSENT>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly prefix: string,
    private readonly ttlMs: number,
    private readonly decode: (stored: S, version: number) => D | null = (stored) => stored as unknown as D,
  ) {}

  key(id: string): string {
    return `${this.prefix}${id}`;
  }

  /** Raw value → record, `ABSENT` for a remembered miss, null when not cached or invalidated. */
  parse(raw: string | null): D | typeof ABSENT | null {
    if (raw === null) return null;
    const hit = this.parsed.get(raw);
    if (hit !== undefined) return hit;
    const v = parseVersioned(raw);
    if (!v || v.value === TOMBSTONE || v.version % 2 === 0) return null;
    const out = v.value === ABSENT ? ABSENT : this.decode(JSON.parse(v.value) as S, (v.version - 1) / 2);
    if (out === null) return null;
    if (this.parsed.size >= 10_000) this.parsed.clear();
    this.parsed.set(raw, out);
    return out;
  }

  /** Offer what was read from PostgreSQL at `version` (kept only if nothing newer is there). */
  async offer(id: string, version: number, value: S | typeof ABSENT, ttlMs = this.ttlMs): Promise<void> {
    await this.store.setIfNewer(this.key(id), dataSlot(version), value === ABSENT ? ABSENT : JSON.stringify(value), ttlMs);
  }

  /** Inside the transaction that bumped the version, before it commits. */
  async invalidate(id: string, version: number | string): Promise<void> {
    await this.store.setIfNewer(this.key(id), tombstoneSlot(Number(version)), TOMBSTONE, this.ttlMs);
  }
}
