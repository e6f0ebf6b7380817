import { Inject, Injectable } from '@nestjs/common';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { createHash } from 'node:crypto';

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

  async remember(token: string, entry: CachedToken, ttlMs: number): Promise<void> {
    const hash = tokenHash(token);
    // One MULTI: the indexes and the entry are written together, so a revocation never
    // finds a live token it cannot find through its session. Sessions with live tokens per
    // user: a deleted user's sessions vanish from PostgreSQL by cascade, so their ids must be
    // findable here.
    await this.store.writeBatch([
      { kind: 'addToSet', key: `sat:${entry.sid}`, members: [hash], ttlMs },
      { kind: 'addToSet', key: `usr:${entry.uid}`, members: [entry.sid], ttlMs },
      { kind: 'set', key: `at:${hash}`, value: JSON.stringify(entry), ttlMs },
    ]);
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

  /** Forgets every access token of these sessions. */
  async forgetSessions(sessionIds: string[]): Promise<void> {
    for (const sid of sessionIds) {
      const hashes = await this.store.takeSet(`sat:${sid}`);
      if (hashes.length) await this.store.del(...hashes.map((h) => `at:${h}`));
    }
  }
}
