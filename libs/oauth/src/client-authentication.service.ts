import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { AuthorizationCache, delegatedPermissions, DelegatedPrincipal, UserAuthz } from '@tessera/auth';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { constantTimeEqualHex, SecretDigest } from '@tessera/crypto';
import { OAuthClientRow, PreTenantLookup } from '@tessera/database';
import { ABSENT, KeyValueStore, KV_STORE, VersionedCache } from '@tessera/store';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, JSONWebKeySet, jwtVerify } from 'jose';
import { CLIENT_ID_PATTERN, isWellFormedSecret } from './client-format';
import { OAuthError } from './oauth.errors';

/** What the store keeps about a client (only clients of active tenants are cached). */
export interface CachedClient {
  id: string;
  cid: string;
  t: string;
  u: string;
  s: string[];
  am: 'client_secret' | 'private_key_jwt';
  d: string | null;
  p: string | null;
  pe: number | null;
  j: JSONWebKeySet | null;
  st: 'active' | 'disabled';
}

export interface AuthenticatedClient {
  client: CachedClient;
  owner: UserAuthz;
  method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** The client as a principal (owner's permissions now ∩ client scopes), for authorization and audit. */
  principal: DelegatedPrincipal;
}

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const ENTRY_TTL_MS = 60 * 60_000;
/** An assertion may not be valid for longer than this (RFC 7523 leaves it to the server). */
const MAX_ASSERTION_LIFETIME_S = 300;

export function toCachedClient(r: OAuthClientRow): CachedClient {
  return {
    id: r.id,
    cid: r.client_id,
    t: r.tenant_id,
    u: r.user_id,
    s: r.scopes,
    am: r.auth_method,
    d: r.secret_digest,
    p: r.previous_digest,
    pe: r.previous_expires_at ? new Date(r.previous_expires_at).getTime() : null,
    j: r.jwks as JSONWebKeySet | null,
    st: r.status,
  };
}

/** One string parameter, or undefined; a repeated parameter is an error (RFC 6749 §3.1). */
export function param(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw OAuthError.invalidRequest(`The ${name} parameter must appear once.`);
  return v;
}

/**
 * Client authentication for the token, introspection and revocation endpoints:
 * `client_secret_basic` (RFC 6749 §2.3.1, with its form-encoding of id and secret),
 * `client_secret_post`, and `private_key_jwt` (RFC 7523; jose verifies the assertion
 * against the client's registered JWKS; each `jti` is accepted once). Exactly one method
 * per request; a secret in the query string is refused. The client record comes from the
 * store in one round trip (with its owner's authorization once the owner is known), from
 * PostgreSQL on a miss. Every failure is `invalid_client` and is audited.
 */
@Injectable()
export class ClientAuthentication {
  readonly cache: VersionedCache<CachedClient>;
  private readonly owners = new Map<string, string>();
  private readonly jwks = new Map<string, ReturnType<typeof createLocalJWKSet>>();
  readonly issuer: string;

  constructor(
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    private readonly lookup: PreTenantLookup,
    private readonly digest: SecretDigest,
    private readonly authz: AuthorizationCache,
    private readonly audit: AuditService,
    @InjectConfig() config: TesseraConfig,
  ) {
    this.cache = new VersionedCache<CachedClient>(store, 'oc:', ENTRY_TTL_MS);
    this.issuer = config.http.publicUrl;
  }

  async authenticate(request: FastifyRequest, body: Record<string, unknown>, endpoint: string): Promise<AuthenticatedClient> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    if ('client_secret' in query || 'client_assertion' in query) {
      await this.failed(null, 'client_secret_in_query');
      throw OAuthError.invalidClient('Client credentials must never be sent in the URL.');
    }
    const header = request.headers.authorization;
    const postedSecret = param(body, 'client_secret');
    const assertion = param(body, 'client_assertion');
    const assertionType = param(body, 'client_assertion_type');
    const bodyClientId = param(body, 'client_id');
    const used = [header !== undefined, postedSecret !== undefined, assertion !== undefined].filter(Boolean).length;
    if (used > 1) throw OAuthError.invalidRequest('Use exactly one client authentication method.');

    if (header !== undefined) {
      const basic = parseBasic(header);
      if (!basic) {
        await this.failed(null, 'malformed_basic_header');
        throw OAuthError.invalidClient('The Authorization header is not valid HTTP Basic client authentication.');
      }
      if (bodyClientId !== undefined && bodyClientId !== basic.id) throw OAuthError.invalidRequest('client_id differs from the authenticated client.');
      return this.withSecret(basic.id, basic.secret, 'client_secret_basic');
    }
    if (postedSecret !== undefined) {
      if (!bodyClientId) throw OAuthError.invalidClient('client_id is missing.');
      return this.withSecret(bodyClientId, postedSecret, 'client_secret_post');
    }
    if (assertion !== undefined) {
      if (assertionType !== JWT_BEARER_ASSERTION) throw OAuthError.invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}.`);
      return this.withAssertion(assertion, bodyClientId, endpoint);
    }
    await this.failed(null, 'no_client_authentication');
    throw OAuthError.invalidClient('Client authentication is required.');
  }

  /** The client's current record: store, else PostgreSQL; null when unknown. */
  async record(clientId: string, raw?: string | null): Promise<{ client: CachedClient; tenantStatus: string } | null> {
    const cached = this.cache.parse(raw === undefined ? await this.store.get(this.cache.key(clientId)) : raw);
    if (cached === ABSENT) return null;
    if (cached) return { client: cached, tenantStatus: 'active' };
    const row = await this.lookup.oauthClient(clientId);
    if (!row) {
      await this.cache.offer(clientId, 0, ABSENT, 60_000);
      return null;
    }
    const client = toCachedClient(row);
    if (row.tenant_status === 'active') await this.cache.offer(clientId, Number(row.version), client);
    return { client, tenantStatus: row.tenant_status };
  }

  /** The store keys that say whether a client and its owner may still act (see stillActiveFrom). */
  liveKeys(client: CachedClient): [string, string] {
    return [this.cache.key(client.cid), this.authz.key(client.u)];
  }

  /**
   * Whether the client and its owner may still act, from the values of `liveKeys` read
   * after a token was cached (a miss or a tombstone goes to PostgreSQL, as at authentication).
   */
  async stillActiveFrom(client: CachedClient, [raw, rawAuthz]: (string | null)[]): Promise<boolean> {
    const { found, owner } = await this.fromStore(client.cid, raw ?? null, client.u, rawAuthz ?? null);
    if (!found || found.client.st !== 'active' || found.tenantStatus !== 'active') return false;
    return !!owner && owner.status === 'active';
  }

  private async load(clientId: string): Promise<{ found: { client: CachedClient; tenantStatus: string } | null; owner: UserAuthz | null }> {
    if (!CLIENT_ID_PATTERN.test(clientId)) return { found: null, owner: null };
    const ownerId = this.owners.get(clientId);
    const [raw, rawAuthz] = await this.store.getMany(ownerId ? [this.cache.key(clientId), this.authz.key(ownerId)] : [this.cache.key(clientId)]);
    return this.fromStore(clientId, raw ?? null, ownerId ?? null, rawAuthz ?? null);
  }

  /**
   * The client's record and its owner's authorization from their store values; `rawAuthz`
   * counts only if it was read for the client's actual owner (`readOwnerId`).
   */
  private async fromStore(
    clientId: string,
    raw: string | null,
    readOwnerId: string | null,
    rawAuthz: string | null,
  ): Promise<{ found: { client: CachedClient; tenantStatus: string } | null; owner: UserAuthz | null }> {
    const found = await this.record(clientId, raw);
    if (!found) return { found, owner: null };
    if (!this.owners.has(clientId)) {
      if (this.owners.size >= 100_000) this.owners.clear();
      this.owners.set(clientId, found.client.u);
    }
    const owner = this.authz.parse(readOwnerId === found.client.u ? rawAuthz : null) ?? (await this.authz.load(found.client.u, found.client.t));
    return { found, owner };
  }

  private async withSecret(clientId: string, secret: string, method: 'client_secret_basic' | 'client_secret_post'): Promise<AuthenticatedClient> {
    // A secret with a bad checksum is refused before any lookup.
    if (!isWellFormedSecret(secret) || !CLIENT_ID_PATTERN.test(clientId)) {
      await this.failed(null, 'malformed_client_credentials');
      throw OAuthError.invalidClient();
    }
    const { found, owner } = await this.load(clientId);
    if (!found) {
      await this.failed(null, 'unknown_client');
      throw OAuthError.invalidClient();
    }
    const c = found.client;
    if (c.am !== 'client_secret' || !c.d) return this.reject(c, 'auth_method_not_registered');
    const presented = this.digest.digest(secret);
    const ok = constantTimeEqualHex(presented, c.d) || (c.p !== null && c.pe !== null && c.pe > Date.now() && constantTimeEqualHex(presented, c.p));
    if (!ok) return this.reject(c, 'wrong_secret');
    return this.accept(found, owner, method);
  }

  private async withAssertion(assertion: string, bodyClientId: string | undefined, endpoint: string): Promise<AuthenticatedClient> {
    let clientId: string;
    try {
      const claims = decodeJwt(assertion);
      clientId = String(claims.iss ?? '');
    } catch {
      await this.failed(null, 'malformed_assertion');
      throw OAuthError.invalidClient();
    }
    if (bodyClientId !== undefined && bodyClientId !== clientId) throw OAuthError.invalidRequest('client_id differs from the assertion issuer.');
    const { found, owner } = await this.load(clientId);
    if (!found) {
      await this.failed(null, 'unknown_client');
      throw OAuthError.invalidClient();
    }
    const c = found.client;
    if (c.am !== 'private_key_jwt' || !c.j) return this.reject(c, 'auth_method_not_registered');
    let keys = this.jwks.get(`${c.id}:${c.cid}:${JSON.stringify(c.j).length}`);
    if (!keys) {
      keys = createLocalJWKSet(c.j);
      if (this.jwks.size > 10_000) this.jwks.clear();
      this.jwks.set(`${c.id}:${c.cid}:${JSON.stringify(c.j).length}`, keys);
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, keys, {
        issuer: clientId,
        subject: clientId,
        audience: [this.issuer, `${this.issuer}/oauth/token`, `${this.issuer}${endpoint}`],
        algorithms: ASSERTION_ALGS,
        clockTolerance: 60,
        maxTokenAge: MAX_ASSERTION_LIFETIME_S,
        requiredClaims: ['jti', 'exp', 'iat'],
      }));
    } catch {
      return this.reject(c, 'invalid_assertion');
    }
    const now = Math.floor(Date.now() / 1000);
    if (payload.exp! - now > MAX_ASSERTION_LIFETIME_S + 60) return this.reject(c, 'assertion_lifetime_too_long');
    // Each assertion once (RFC 7523 §3, jti): remembered until it would expire anyway.
    const jti = createHash('sha256').update(String(payload.jti)).digest('base64url');
    const fresh = await this.store.setIfAbsent(`cajti:${c.id}:${jti}`, '1', (payload.exp! - now + 120) * 1000);
    if (!fresh) return this.reject(c, 'assertion_replayed');
    return this.accept(found, owner, 'private_key_jwt');
  }

  private accept(found: { client: CachedClient; tenantStatus: string }, owner: UserAuthz | null, method: AuthenticatedClient['method']): Promise<AuthenticatedClient> | AuthenticatedClient {
    const c = found.client;
    if (c.st !== 'active') return this.reject(c, 'client_disabled');
    if (found.tenantStatus !== 'active') return this.reject(c, 'tenant_not_active');
    if (!owner || owner.status !== 'active') return this.reject(c, 'owner_not_active');
    return {
      client: c,
      owner,
      method,
      principal: {
        kind: 'oauth_client',
        tenantId: c.t,
        userId: c.u,
        role: owner.role,
        taskRoles: owner.taskRoles,
        permissions: delegatedPermissions(owner.permissions, c.s),
        credentialId: c.id,
        actorId: c.cid,
        scopes: c.s,
        testMode: false,
      },
    };
  }

  private async reject(c: CachedClient, reason: string): Promise<never> {
    await this.failed(c, reason);
    throw OAuthError.invalidClient(reason === 'client_disabled' || reason === 'owner_not_active' || reason === 'tenant_not_active' ? 'The client is not active.' : undefined);
  }

  private async failed(c: CachedClient | null, reason: string): Promise<void> {
    await this.audit.record({
      action: 'oauth.client_authentication',
      outcome: 'failure',
      decision: 'deny',
      tenantId: c?.t ?? null,
      actor: c ? { type: 'oauth_client', id: c.cid } : { type: 'anonymous' },
      credential: { type: 'oauth_client', id: c?.id ?? null },
      reason,
    });
  }
}

/**
 * `Basic base64(urlencode(client_id) ":" urlencode(client_secret))` (RFC 6749 §2.3.1).
 * Null for anything else: another scheme, bad base64, no colon, bad percent-encoding.
 */
export function parseBasic(header: string): { id: string; secret: string } | null {
  const m = /^basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  try {
    const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const id = unform(decoded.slice(0, colon));
    const secret = unform(decoded.slice(colon + 1));
    return id && secret ? { id, secret } : null;
  } catch {
    return null;
  }
}
