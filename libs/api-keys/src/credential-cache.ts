import { KeyValueStore, parseVersioned } from '@tessera/store';

/** Tombstones take even slots, data odd ones (the AuthorizationCache rule): data read at version v beats a tombstone of v only. */
export const dataSlot = (v: number) => v * 2 + 1;
export const tombstoneSlot = (v: number) => v * 2;
const TOMBSTONE = '-';
/** A credential id that does not exist: remembered briefly so a flood of made-up ids does not reach PostgreSQL. */
export const ABSENT = '0';

/**
 * A verified credential's record in the shared store (Redis), versioned like the
 * authorization cache: PostgreSQL is the source of truth; every change a verifier must see
 * bumps the row's `version` and, inside the same transaction, writes a tombstone of the new
 * version here, so the next request on any instance reloads — and a reader that loaded
 * older data can never write it back over the tombstone (`setIfNewer`).
 */
export class CredentialCache<T> {
  private readonly parsed = new Map<string, T | typeof ABSENT>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  key(id: string): string {
    return `${this.prefix}${id}`;
  }

  /** Raw value → record, `ABSENT` for a remembered miss, null when not cached or invalidated. */
  parse(raw: string | null): T | typeof ABSENT | null {
    if (raw === null) return null;
    const hit = this.parsed.get(raw);
    if (hit !== undefined) return hit;
    const v = parseVersioned(raw);
    if (!v || v.value === TOMBSTONE || v.version % 2 === 0) return null;
    const out = v.value === ABSENT ? ABSENT : (JSON.parse(v.value) as T);
    if (this.parsed.size >= 10_000) this.parsed.clear();
    this.parsed.set(raw, out);
    return out;
  }

  /** Offer what was read from PostgreSQL at `version` (kept only if nothing newer is there). */
  async offer(id: string, version: number, value: T | typeof ABSENT, ttlMs = this.ttlMs): Promise<void> {
    await this.store.setIfNewer(this.key(id), dataSlot(version), value === ABSENT ? ABSENT : JSON.stringify(value), ttlMs);
  }

  /** Inside the transaction that bumped the version, before it commits. */
  async invalidate(id: string, version: number | string): Promise<void> {
    await this.store.setIfNewer(this.key(id), tombstoneSlot(Number(version)), TOMBSTONE, this.ttlMs);
  }
}
