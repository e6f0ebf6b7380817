import { Inject, Injectable } from '@nestjs/common';
import { SecretDigest } from '@tessera/crypto';
import { KeyValueStore, KV_STORE } from '@tessera/store';

/** Failures within the window before the account locks. */
export const LOCK_AFTER_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** First lock 1 min, doubling per lock (kept 24 h), at most 1 h. */
export const FIRST_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 3600_000;
const LEVEL_TTL_MS = 24 * 3600_000;

/**
 * Per-account brute-force protection, shared by all instances through the store. The key
 * is a digest of the normalised email (case/Unicode variants are one account; no address
 * is kept in Redis). The per-IP side is the `auth` rate limit on the route.
 */
@Injectable()
export class BruteForceProtection {
  constructor(
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    private readonly digest: SecretDigest,
  ) {}

  private key(kind: string, emailNormalized: string) {
    return `bf:${kind}:${this.accountId(emailNormalized)}`;
  }

  private accountId(emailNormalized: string) {
    return this.digest.digest(`login:${emailNormalized}`).slice(0, 32);
  }

  /** Remaining lock in ms, 0 when not locked. */
  async lockedFor(emailNormalized: string): Promise<number> {
    const ttl = await this.store.ttl(this.key('lock', emailNormalized));
    return ttl > 0 ? ttl : 0;
  }

  /**
   * Counts an attempt BEFORE its password is checked, so parallel guesses cannot all reach
   * argon2 before the counter moves. Returns the attempt's number in the window.
   */
  async reserve(emailNormalized: string): Promise<number> {
    const { count } = await this.store.incrWindow(this.key('fail', emailNormalized), FAILURE_WINDOW_MS);
    return count;
  }

  /**
   * lockedFor + reserve in one store round trip (atomically): Infinity while the account is
   * locked (nothing is counted, as before: attempts while locked never add to the next
   * window), otherwise the attempt's number in the window.
   */
  async reserveUnlessLocked(emailNormalized: string): Promise<number> {
    const id = this.accountId(emailNormalized);
    const { count, blockedMs } = await this.store.incrWindowUnlessBlocked(`bf:fail:${id}`, `bf:lock:${id}`, FAILURE_WINDOW_MS);
    return blockedMs > 0 ? Infinity : count;
  }

  /**
   * Locks the account; called only by the attempt holding number LOCK_AFTER_FAILURES, so a
   * burst raises the back-off level once. The lock key is created only if absent: attempts
   * while locked never extend it. Returns the lock's duration, or null if one existed.
   */
  async lock(emailNormalized: string): Promise<number | null> {
    const { count: level } = await this.store.incrWindow(this.key('level', emailNormalized), LEVEL_TTL_MS);
    const duration = Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (level - 1));
    const created = await this.store.setIfAbsent(this.key('lock', emailNormalized), String(level), duration);
    await this.store.del(this.key('fail', emailNormalized));
    return created ? duration : null;
  }

  async recordSuccess(emailNormalized: string): Promise<void> {
    await this.store.del(this.key('fail', emailNormalized));
  }
}
