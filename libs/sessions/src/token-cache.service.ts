import { Inject, Injectable } from '@nestjs/common';
import { BatchWrite, KeyValueStore, KV_STORE } from '@tessera/store';
import { createHash } from 'node:crypto';
import { ACCESS_TOKEN_TTL_S } from './session-policy';

/** What the cache knows about a live access token: enough to authenticate without PostgreSQL. */
export interface CachedToken {
  uid: string;
  tid: string;
  /** The session; for an OAuth client-credentials token, the client's id (oauth_clients.id). */
  sid: string;
  amr: string[];
  acr: string;
  authTime: number;
  jti: string;
  /** Set only on OAuth client-credentials tokens: the client_id and the granted scopes. */
  cid?: string;
  scp?: string[];
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * The live access tokens (DESIGN.md): a token is accepted only while its hash is here.
 * Revoking a session deletes its tokens' hashes, so every instance refuses them on the
 * next request; a flushed cache refuses everything (clients refresh), never resurrects.
 */
@Injectable()
export class TokenCache {
  constructor(@Inject(KV_STORE) private readonly store: KeyValueStore) {}

  /**
   * Indexes a client-credentials token (an OAuth client's: `sid` is the client's id), then
   * reads `keys` as they are after the write, in the same atomic step. A client can be
   * disabled and enabled again, so its revocations leave no tombstone; the token endpoint
   * re-checks the client and its owner from what this read instead.
   */
  async rememberThenGet(token: string, entry: CachedToken, ttlMs: number, keys: string[]): Promise<(string | null)[]> {
    return this.store.writeBatchThenGet(this.indexWrites(token, entry, ttlMs), keys);
  }

  /**
   * Indexes a session's access token unless the session has been revoked: the revocation
   * tombstone (written by forgetSessions before it deletes hashes) is checked in the same
   * atomic step as the write. So a revocation that committed while this token was being
   * signed either finds the hash to delete or left the tombstone that stops the write —
   * no second read of PostgreSQL needed. False: the session is revoked, nothing written.
   */
  async rememberForSession(token: string, entry: CachedToken, ttlMs: number): Promise<boolean> {
    return this.store.writeBatch(this.indexWrites(token, entry, ttlMs), { unlessExists: [revokedKey(entry.sid)] });
  }

  private indexWrites(token: string, entry: CachedToken, ttlMs: number): BatchWrite[] {
    const hash = tokenHash(token);
    // One atomic write: the indexes and the entry are written together, so a revocation
    // never finds a live token it cannot find through its session. Sessions with live
    // tokens per user: a deleted user's sessions vanish from PostgreSQL by cascade, so their
    // ids must be findable here.
    return [
      { kind: 'addToSet', key: `sat:${entry.sid}`, members: [hash], ttlMs },
      { kind: 'addToSet', key: `usr:${entry.uid}`, members: [entry.sid], ttlMs },
      { kind: 'set', key: `at:${hash}`, value: JSON.stringify(entry), ttlMs },
    ];
  }

  async lookup(token: string): Promise<CachedToken | null> {
    const raw = await this.store.get(`at:${tokenHash(token)}`);
    return raw ? (JSON.parse(raw) as CachedToken) : null;
  }

  /** The token's entry and one more key (the user's authorization) in one round trip. */
  async lookupWith(token: string, otherKey: string): Promise<[CachedToken | null, string | null]> {
    const [raw, other] = await this.store.getMany([`at:${tokenHash(token)}`, otherKey]);
    return [raw ? (JSON.parse(raw) as CachedToken) : null, other];
  }

  /** Forgets one access token (RFC 7009 revocation of a client-credentials token). */
  async forget(token: string): Promise<void> {
    await this.store.del(`at:${tokenHash(token)}`);
  }

  /** Forgets every live access token of a user, whatever its session. */
  async forgetUser(userId: string): Promise<void> {
    await this.forgetSessions(await this.store.takeSet(`usr:${userId}`));
  }

  /**
   * Forgets every access token of these sessions, for good: a tombstone per session first
   * (so a token being minted for it right now is not indexed after the hashes are gone),
   * then the hashes. Call it after the revocation has committed.
   */
  async forgetSessions(sessionIds: string[]): Promise<void> {
    if (!sessionIds.length) return;
    await this.store.writeBatch(sessionIds.map((sid) => ({ kind: 'set' as const, key: revokedKey(sid), value: '1', ttlMs: REVOKED_TTL_MS })));
    await this.forgetTokensOf(sessionIds);
  }

  /** Forgets every access token of these OAuth clients (they may be enabled again: no tombstone). */
  async forgetClients(clientIds: string[]): Promise<void> {
    await this.forgetTokensOf(clientIds);
  }

  private async forgetTokensOf(ids: string[]): Promise<void> {
    for (const sid of ids) {
      const hashes = await this.store.takeSet(`sat:${sid}`);
      if (hashes.length) await this.store.del(...hashes.map((h) => `at:${h}`));
    }
  }
}

/** The tombstone of a revoked session. */
const revokedKey = (sessionId: string) => `rsid:${sessionId}`;

/**
 * How long a tombstone stands: far past the time between a login's or refresh's commit and
 * its token-cache write (milliseconds: signing, then the write). Twice an access token's
 * lifetime, so the key count stays bounded by the revocations of the last half hour.
 */
const REVOKED_TTL_MS = 2 * ACCESS_TOKEN_TTL_S * 1000;
