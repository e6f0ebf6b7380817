import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuditService } from '@tessera/audit';
import {
  AccessDenials,
  Authenticator,
  AuthenticatorRegistry,
  AuthorizationCache,
  DelegatedPrincipal,
  delegatedPermissionsOf,
  GENERAL_ROLE_PERMISSIONS,
  isGeneralRole,
  UserAuthz,
} from '@tessera/auth';
import { constantTimeEqualHex, SecretDigest } from '@tessera/crypto';
import { ApiKeyRow, PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError, RequestContextStore, sendProblem } from '@tessera/http';
import { ABSENT, KeyValueStore, KV_STORE, VersionedCache } from '@tessera/store';
import type { FastifyInstance } from 'fastify';
import { API_KEY_LIKE, parseApiKey } from './api-key-format';
import { LastUsedRecorder } from './last-used.recorder';

/** What the store keeps about a key: enough to verify it and build the principal without PostgreSQL. */
export interface CachedKey {
  id: string;
  /** tenant */
  t: string;
  k: 'api_key' | 's2s';
  m: 'live' | 'test';
  /** owner user (api_key) */
  u: string | null;
  /** integration role (s2s) */
  r: string | null;
  n: string;
  s: string[];
  /** secret digest; previous digest and until when it still works (epoch ms) */
  d: string;
  p: string | null;
  pe: number | null;
  /** expiry (epoch ms), revoked */
  x: number | null;
  rv: boolean;
}

/** An API key (acting as its owner), as opposed to an S2S token (acting as its role). */
const isOwnedKey = (entry: CachedKey): entry is CachedKey & { u: string } => entry.k === 'api_key' && !!entry.u;

/** Entries outlive no revocation (every change tombstones them); the TTL only bounds memory. */
const ENTRY_TTL_MS = 60 * 60_000;
const ABSENT_TTL_MS = 60_000;

export const invalidKey = () => ProblemError.unauthorized('The credential is not valid.', 'Bearer realm="tessera", error="invalid_token"', 'invalid-token');

export function toCachedKey(row: ApiKeyRow): CachedKey {
  return {
    id: row.id,
    t: row.tenant_id,
    k: row.kind,
    m: row.mode,
    u: row.user_id,
    r: row.role,
    n: row.name,
    s: row.scopes,
    d: row.secret_digest,
    p: row.previous_digest,
    pe: row.previous_expires_at ? new Date(row.previous_expires_at).getTime() : null,
    x: row.expires_at ? new Date(row.expires_at).getTime() : null,
    rv: row.revoked_at !== null,
  };
}

/**
 * API keys and S2S tokens (`Authorization: Bearer tsr_live_…` / `tsr_test_…`), chosen by
 * the token's shape. Order of checks: shape and checksum (no I/O) → one store round trip
 * for the key's record and its owner's current authorization (MGET) → PostgreSQL only on a
 * cache miss → the secret's HMAC in constant time → revoked, expired, tenant and owner
 * status. Effective permissions = owner's permissions now ∩ the key's scopes (for an S2S
 * token: its role's), never tier 4. Use is recorded in batches, not per request.
 *
 * On Redis, a key this instance already accepted is decided on the raw values it read then
 * (the same checks, the secret included, no I/O) and confirmed after the buckets: the
 * bucket script reads the same two keys again and the access guard compares them
 * (AuthenticationGuard.confirm); any change — revocation, rotation, expiry of an overlap,
 * the owner's role or status — means authenticating again the full way before the request
 * goes on. One round trip per request instead of two. Only acceptance is provisional: a
 * request these values would refuse takes the full path, so a rotated key's new secret is
 * never refused on stale values, and the key's bucket is counted only once its secret
 * matched.
 */
@Injectable()
export class ApiKeyAuthenticator implements Authenticator, OnModuleInit, OnApplicationShutdown {
  readonly name = 'bearer-api-key';
  readonly cache: VersionedCache<CachedKey>;
  readonly lastUsed: LastUsedRecorder;
  /** key id → owner: immutable facts, so the owner's authorization joins the first round trip. */
  private readonly owners = new Map<string, string>();
  /** key id → the raw store values it was last accepted on (the provisional path). */
  private readonly accepted = new Map<string, { rawKey: string; rawAuthz: string | null }>();
  /** Provisional acceptance needs the bucket script to read the keys again: Redis only. */
  private readonly provisionalCapable: boolean;

  constructor(
    private readonly registry: AuthenticatorRegistry,
    @Inject(KV_STORE) store: KeyValueStore,
    private readonly lookup: PreTenantLookup,
    private readonly digest: SecretDigest,
    private readonly authz: AuthorizationCache,
    private readonly audit: AuditService,
    private readonly denials: AccessDenials,
    private readonly adapter: HttpAdapterHost,
    db: TenantDb,
  ) {
    this.provisionalCapable = store.kind === 'redis';
    this.cache = new VersionedCache<CachedKey>(store, 'ak:', ENTRY_TTL_MS);
    this.lastUsed = new LastUsedRecorder(db, 'api_keys');
    this.store = store;
  }

  private readonly store: KeyValueStore;

  onModuleInit(): void {
    this.registry.register(this);
    this.lastUsed.start();
    this.refuseKeysInUrls();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lastUsed.stop();
  }

  supports(authorization: string): boolean {
    return authorization.startsWith('Bearer tsr_');
  }

  async authenticate(authorization: string, _request?: unknown, opts?: { provisional?: boolean }): Promise<DelegatedPrincipal> {
    const token = authorization.slice(7);
    const parsed = parseApiKey(token);
    // A typo, a truncated paste or a made-up string: refused before any lookup.
    if (!parsed) throw invalidKey();
    const ctx = RequestContextStore.current();
    const seen = opts?.provisional && this.provisionalCapable && ctx ? this.accepted.get(parsed.keyId) : undefined;
    if (seen) {
      const principal = this.decide(parsed.mode, token, seen.rawKey, seen.rawAuthz);
      if (principal) {
        const keys = [this.cache.key(parsed.keyId)];
        const values: (string | null)[] = [seen.rawKey];
        if (principal.userId) {
          keys.push(this.authz.key(principal.userId));
          values.push(seen.rawAuthz);
        }
        ctx!.pendingCredential = { keys, values };
        this.lastUsed.touch(principal.credentialId, principal.tenantId, ctx!.ip);
        return principal;
      }
    }
    const owner = this.owners.get(parsed.keyId);
    const [rawKey, rawAuthz] = await this.store.getMany(owner ? [this.cache.key(parsed.keyId), this.authz.key(owner)] : [this.cache.key(parsed.keyId)]);
    const key = await this.record(parsed.keyId, rawKey);
    if (!key) throw invalidKey();
    const entry = key.entry;
    const refused = this.refusal(entry, parsed.mode, token) ?? (key.tenantStatus !== 'active' ? 'tenant_not_active' : null);
    if (refused) return this.fail(entry, refused);

    // The owner's authorization as the store had it (read with the key once the owner is known), else PostgreSQL.
    let storedAuthz: UserAuthz | null = null;
    let authz: UserAuthz | null = null;
    if (isOwnedKey(entry)) {
      if (!owner) this.rememberOwner(parsed.keyId, entry.u);
      storedAuthz = this.authz.parse(owner ? (rawAuthz ?? null) : null);
      authz = storedAuthz ?? (await this.authz.load(entry.u, entry.t));
    }
    const principal = this.principalFor(entry, authz);
    if (typeof principal === 'string') return this.fail(entry, principal);
    // Accepted on values read from the store (not from PostgreSQL): the next request may be decided on them.
    if (this.provisionalCapable && key.cached && (!isOwnedKey(entry) || storedAuthz)) {
      if (this.accepted.size >= 100_000) this.accepted.clear();
      this.accepted.set(parsed.keyId, { rawKey: rawKey!, rawAuthz: storedAuthz ? rawAuthz! : null });
    }
    this.lastUsed.touch(entry.id, entry.t, ctx?.ip);
    return principal;
  }

  /** The principal these raw store values accept `token` as, or null when they do not accept it (then the full path decides). */
  private decide(mode: 'live' | 'test', token: string, rawKey: string, rawAuthz: string | null): DelegatedPrincipal | null {
    const entry = this.cache.parse(rawKey);
    if (!entry || entry === ABSENT || this.refusal(entry, mode, token)) return null;
    const principal = this.principalFor(entry, isOwnedKey(entry) ? this.authz.parse(rawAuthz) : null);
    return typeof principal === 'string' ? null : principal;
  }

  /** Why this record refuses the presented key (secret, mode, revocation, expiry), or null. */
  private refusal(entry: CachedKey, mode: 'live' | 'test', token: string): string | null {
    const now = Date.now();
    const presented = this.digest.digest(token);
    const matches = constantTimeEqualHex(presented, entry.d) || (entry.p !== null && entry.pe !== null && entry.pe > now && constantTimeEqualHex(presented, entry.p));
    if (!matches) return 'wrong_secret';
    if (entry.m !== mode) return 'wrong_mode';
    if (entry.rv) return 'revoked';
    if (entry.x !== null && entry.x <= now) return 'expired';
    return null;
  }

  /**
   * The principal of an accepted key: an API key acts as its owner (`authz`, which must be
   * active) within its scopes; an S2S token as its integration role within its scopes.
   * A string is the refusal reason.
   */
  private principalFor(entry: CachedKey, authz: UserAuthz | null): DelegatedPrincipal | string {
    const base = { tenantId: entry.t, credentialId: entry.id, scopes: entry.s, testMode: entry.m === 'test' };
    if (isOwnedKey(entry)) {
      if (!authz || authz.status !== 'active') return 'owner_not_active';
      return {
        ...base,
        kind: 'api_key',
        userId: entry.u,
        actorId: entry.u,
        role: authz.role,
        taskRoles: authz.taskRoles,
        permissions: delegatedPermissionsOf(authz.permissions, entry.s),
      };
    }
    if (!isGeneralRole(entry.r)) return 'bad_role';
    return {
      ...base,
      kind: 's2s',
      userId: null,
      actorId: entry.n,
      role: entry.r,
      taskRoles: [],
      permissions: delegatedPermissionsOf(GENERAL_ROLE_PERMISSIONS[entry.r], entry.s),
    };
  }

  /** The key's record: from the store, else from PostgreSQL (then offered to the store). */
  private async record(keyId: string, raw: string | null): Promise<{ entry: CachedKey; tenantStatus: string; cached: boolean } | null> {
    const cached = this.cache.parse(raw);
    if (cached === ABSENT) return null;
    if (cached) return { entry: cached, tenantStatus: 'active', cached: true };
    const row = await this.lookup.apiKey(keyId);
    if (!row) {
      await this.cache.offer(keyId, 0, ABSENT, ABSENT_TTL_MS);
      return null;
    }
    const entry = toCachedKey(row);
    // Only keys of active tenants are cached: a suspension (which tombstones them) and a
    // reactivation (which does not) are then both seen on the next request.
    if (row.tenant_status === 'active') await this.cache.offer(keyId, Number(row.version), entry);
    return { entry, tenantStatus: row.tenant_status, cached: false };
  }

  private rememberOwner(keyId: string, userId: string): void {
    if (this.owners.size >= 100_000) this.owners.clear();
    this.owners.set(keyId, userId);
  }

  /** A key that exists but may not be used: audited in its tenant's trail, then the same 401 as any other. */
  private async fail(entry: CachedKey, reason: string): Promise<never> {
    await this.audit.record({
      action: `${entry.k === 's2s' ? 's2s_token' : 'api_key'}.authentication_failed`,
      outcome: 'failure',
      decision: 'deny',
      tenantId: entry.t,
      actor: entry.k === 's2s' ? { type: 's2s', id: entry.n } : { type: 'user', id: entry.u },
      credential: { type: entry.k === 's2s' ? 's2s_token' : 'api_key', id: entry.id, test: entry.m === 'test' },
      target: { type: entry.k, id: entry.id },
      reason,
    });
    throw invalidKey();
  }

  /**
   * A key anywhere in the URL (any query parameter) is refused before routing, on every
   * route: URLs end up in proxy logs, browser history and referrers. Audited; the key
   * itself is never logged (the access log redacts key-like parameters).
   */
  private refuseKeysInUrls(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onRequest', async (request, reply) => {
      const q = request.url.indexOf('?');
      if (q < 0 || request.url.indexOf('tsr_', q) < 0) return;
      let query: string;
      try {
        query = decodeURIComponent(request.url.slice(q + 1));
      } catch {
        query = request.url.slice(q + 1);
      }
      if (!API_KEY_LIKE.test(query)) return;
      await this.denials.record('credential_in_query');
      sendProblem(
        reply,
        ProblemError.unauthorized('Send credentials in the Authorization header, never in the URL.', 'Bearer realm="tessera", error="invalid_request"'),
        request.id,
      );
      return reply;
    });
  }
}
