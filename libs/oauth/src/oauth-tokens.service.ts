import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { ApiKeysService, LastUsedRecorder, normalizeScopes, parseApiKey, scopesNotCovered, toCachedKey } from '@tessera/api-keys';
import { AuditService } from '@tessera/audit';
import { ALL_PERMISSIONS, AuthorizationCache, delegatedPermissions, GENERAL_ROLE_PERMISSIONS, isGeneralRole, principalAudit, TenantAccess, tierOf, TIER_SCOPES } from '@tessera/auth';
import { constantTimeEqualHex, SecretDigest } from '@tessera/crypto';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError, RequestContextStore } from '@tessera/http';
import { ApiRateLimiter, rateLimitHeaders, retryAfterSeconds } from '@tessera/rate-limit';
import { AccessTokenService, SessionService, TokenCache } from '@tessera/sessions';
import { AuthenticatedClient, ClientAuthentication } from './client-authentication.service';
import { OAuthError } from './oauth.errors';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const REFRESH_SHAPE = /^[A-Za-z0-9_-]{43}$/;

type Found =
  | { kind: 'access_token'; tenantId: string; issuedTo: string | null; info: Record<string, unknown>; revoke: (by: AuthenticatedClient) => Promise<void> }
  | { kind: 'refresh_token' | 'api_key' | 's2s_token'; tenantId: string; issuedTo: null; info: Record<string, unknown>; revoke: (by: AuthenticatedClient) => Promise<void> };

/**
 * The client-credentials grant, introspection (RFC 7662) and revocation (RFC 7009).
 * Tokens are RFC 9068 JWTs from the same signer as session tokens, live only while their
 * hash is in the token cache (indexed under the client, so disabling the client or its
 * user forgets them at once), and carry the owner's permissions as they are at each request.
 */
@Injectable()
export class OAuthTokensService {
  readonly lastUsed: LastUsedRecorder;

  constructor(
    private readonly clients: ClientAuthentication,
    private readonly tokens: AccessTokenService,
    private readonly cache: TokenCache,
    private readonly limiter: ApiRateLimiter,
    private readonly audit: AuditService,
    private readonly orm: MikroORM,
    private readonly lookup: PreTenantLookup,
    private readonly digest: SecretDigest,
    private readonly authz: AuthorizationCache,
    private readonly tenantAccess: TenantAccess,
    private readonly sessions: SessionService,
    private readonly keys: ApiKeysService,
    private readonly db: TenantDb,
  ) {
    this.lastUsed = new LastUsedRecorder(db, 'oauth_clients');
  }

  // ------------------------------------------------------------------ token

  async clientCredentials(c: AuthenticatedClient, body: Record<string, unknown>, setHeaders: (h: Record<string, string>) => void): Promise<TokenResponse> {
    const scope = this.grantedScope(c, typeof body.scope === 'string' ? body.scope : undefined);
    const limit = await this.limiter.takeForCredential(c.client.t, 'oauth_client', c.client.id);
    setHeaders(rateLimitHeaders(limit));
    if (!limit.allowed) {
      throw new OAuthError(429, 'temporarily_unavailable', 'The client’s rate limit is exhausted; retry after the time given in Retry-After.', {
        'Retry-After': String(retryAfterSeconds(limit)),
      });
    }
    const scp = scope.split(' ');
    const { token, jti, iat, expiresIn } = await this.tokens.issueForClient({ sub: c.client.u, tid: c.client.t, client_id: c.client.cid, scope });
    // A disable (client or owner) that committed while we signed found no hash to forget:
    // look again at the client and its owner as the write left them (same atomic step).
    const live = await this.cache.rememberThenGet(
      token,
      { uid: c.client.u, tid: c.client.t, sid: c.client.id, amr: [], acr: '', authTime: iat, jti, cid: c.client.cid, scp },
      expiresIn * 1000,
      this.clients.liveKeys(c.client),
    );
    if (!(await this.clients.stillActiveFrom(c.client, live))) {
      await this.cache.forgetClients([c.client.id]);
      throw OAuthError.invalidClient('The client is not active.');
    }
    // No change of ours to join: group-committed with the other issuances of this tenant.
    await this.audit.record(
      {
        action: 'oauth.token',
        outcome: 'success',
        tenantId: c.client.t,
        ...principalAudit({ ...c.principal, tokenId: jti }),
        target: { type: 'user', id: c.client.u },
        params: { grant_type: 'client_credentials', scope, auth_method: c.method },
      },
    );
    this.lastUsed.touch(c.client.id, c.client.t, RequestContextStore.current()?.ip);
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope };
  }

  /** `scope` narrows the client's registered scopes; absent = all of them (RFC 6749 §3.3). */
  private grantedScope(c: AuthenticatedClient, requested: string | undefined): string {
    if (requested === undefined) return c.client.s.join(' ');
    const list = requested.split(' ').filter(Boolean);
    if (!list.length || requested !== list.join(' ')) throw OAuthError.invalidScope('scope must be a space-separated list of scopes.');
    let normalized: string[];
    try {
      normalized = normalizeScopes(list);
    } catch (err) {
      throw OAuthError.invalidScope(err instanceof ProblemError ? (err.detail ?? 'Unknown scope.') : 'Unknown scope.');
    }
    const outside = scopesNotCovered(normalized, c.client.s);
    if (outside.length) throw OAuthError.invalidScope(`Not granted to this client: ${outside.join(' ')}.`);
    return normalized.join(' ');
  }

  // ------------------------------------------------------------------ introspection

  /**
   * RFC 7662. A client sees its own tokens; any other token (another client's, a session's,
   * an API key, a refresh token) only with `tokens:introspect` and the token's tenant in its
   * reach. Everything else — unknown, invalid, expired, revoked, not visible — is
   * `{ "active": false }`, so introspection cannot be used to probe.
   */
  async introspect(c: AuthenticatedClient, token: string): Promise<IntrospectionResponse> {
    const found = await this.find(token);
    if (!found || !(await this.visible(c, found))) return { active: false };
    return { active: true, ...found.info };
  }

  // ------------------------------------------------------------------ revocation

  /**
   * RFC 7009. A client may revoke the tokens issued to it; another client's tokens never
   * (unauthorized_client, audited). Session tokens, refresh tokens and API keys may be
   * revoked by a client with `tokens:introspect` in the token's tenant (an internal service
   * that found a leaked credential). Unknown or already invalid tokens: 200, nothing done.
   */
  async revoke(c: AuthenticatedClient, token: string): Promise<void> {
    const found = await this.find(token);
    if (!found) return;
    if (found.issuedTo && found.issuedTo !== c.client.cid) {
      await this.audit.record({
        action: 'access.denied',
        outcome: 'failure',
        decision: 'deny',
        tenantId: c.client.t,
        ...principalAudit(c.principal),
        target: { type: 'access_token', id: String(found.info.jti ?? '') },
        reason: 'revocation of another client’s token',
      });
      throw OAuthError.unauthorizedClient('The token was not issued to this client.');
    }
    if (!found.issuedTo && !(await this.visible(c, found))) {
      await this.audit.record({
        action: 'access.denied',
        outcome: 'failure',
        decision: 'deny',
        tenantId: c.client.t,
        ...principalAudit(c.principal),
        target: { type: found.kind, id: null },
        reason: `revocation of a ${found.kind} without tokens:introspect in its tenant`,
      });
      throw OAuthError.unauthorizedClient('This client may not revoke that token.');
    }
    await found.revoke(c);
  }

  private async visible(c: AuthenticatedClient, found: Found): Promise<boolean> {
    if (found.issuedTo === c.client.cid) return true;
    if (!c.principal.permissions.has('tokens:introspect')) return false;
    return this.tenantAccess.canActIn(c.principal, found.tenantId);
  }

  /** Which of our tokens this is, by shape, and whether it is live now. Null = inactive. */
  private async find(token: string): Promise<Found | null> {
    if (token.startsWith('tsr_')) return this.findApiKey(token);
    if (this.tokens.isJwtShaped(token)) return this.findAccessToken(token);
    if (REFRESH_SHAPE.test(token)) return this.findRefreshToken(token);
    return null;
  }

  private async findAccessToken(token: string): Promise<Found | null> {
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch {
      return null;
    }
    const live = await this.cache.lookup(token);
    if (!live || live.jti !== claims.jti || live.uid !== claims.sub || live.tid !== claims.tid) return null;
    const owner = await this.authz.forUser(live.uid, live.tid);
    if (!owner || owner.status !== 'active') return null;
    const scopes = live.scp ?? [];
    const permissions = live.cid ? delegatedPermissions(owner.permissions, scopes) : owner.permissions;
    return {
      kind: 'access_token',
      tenantId: live.tid,
      issuedTo: live.cid ?? null,
      info: {
        token_type: 'Bearer',
        client_id: claims.client_id,
        sub: claims.sub,
        tid: live.tid,
        iss: claims.iss,
        aud: claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        ...(live.cid ? { scope: scopes.join(' ') } : { sid: live.sid, acr: live.acr, amr: live.amr, auth_time: live.authTime }),
        permissions: [...permissions].sort(),
      },
      revoke: async (by) => {
        if (live.cid) {
          await this.cache.forget(token);
          await this.audit.record({ action: 'oauth.token.revoke', outcome: 'success', tenantId: live.tid, ...principalAudit(by.principal), target: { type: 'access_token', id: live.jti } });
        } else {
          // A session's access token: the whole session goes (RFC 7009 §2.1 allows it; a leaked token means a leaked device).
          await this.sessions.revokeSession(live.tid, live.uid, live.sid, 'revoked_by_client', { action: 'session.revoke', by: by.principal });
        }
      },
    };
  }

  private async findRefreshToken(token: string): Promise<Found | null> {
    const ref = await this.lookup.refreshToken(this.digest.digest(token));
    if (!ref) return null;
    const [row] = await this.db.withTenant(ref.tenantId, (em) =>
      em.execute<{ user_id: string; exp: number; live: boolean }[]>(
        `select s.user_id, extract(epoch from r.expires_at)::bigint as exp,
                (r.consumed_at is null and r.expires_at > now() and s.revoked_at is null and s.idle_expires_at > now() and s.absolute_expires_at > now()) as live
           from refresh_tokens r join sessions s on s.id = r.session_id
          where r.id = ?`,
        [ref.id],
      ),
    );
    if (!row?.live) return null;
    const owner = await this.authz.forUser(row.user_id, ref.tenantId);
    if (!owner || owner.status !== 'active') return null;
    return {
      kind: 'refresh_token',
      tenantId: ref.tenantId,
      issuedTo: null,
      info: { token_type: 'refresh_token', client_id: 'tessera', sub: row.user_id, tid: ref.tenantId, exp: Number(row.exp), sid: ref.sessionId },
      revoke: async (by) => {
        await this.sessions.revokeSession(ref.tenantId, row.user_id, ref.sessionId, 'revoked_by_client', { action: 'session.revoke', by: by.principal });
      },
    };
  }

  private async findApiKey(token: string): Promise<Found | null> {
    const parsed = parseApiKey(token);
    if (!parsed) return null;
    const row = await this.lookup.apiKey(parsed.keyId);
    if (!row || !constantTimeEqualHex(this.digest.digest(token), row.secret_digest)) {
      // The previous secret during a rotation overlap still identifies the key.
      if (!row?.previous_digest || !row.previous_expires_at || new Date(row.previous_expires_at).getTime() <= Date.now()) return null;
      if (!constantTimeEqualHex(this.digest.digest(token), row.previous_digest)) return null;
    }
    const k = toCachedKey(row);
    if (k.rv || (k.x !== null && k.x <= Date.now()) || row.tenant_status !== 'active' || k.m !== parsed.mode) return null;
    let permissions: Set<string>;
    if (k.k === 'api_key' && k.u) {
      const owner = await this.authz.forUser(k.u, k.t);
      if (!owner || owner.status !== 'active') return null;
      permissions = delegatedPermissions(owner.permissions, k.s);
    } else {
      if (!isGeneralRole(k.r)) return null;
      permissions = delegatedPermissions(GENERAL_ROLE_PERMISSIONS[k.r], k.s);
    }
    const kind = k.k === 's2s' ? 's2s_token' : 'api_key';
    return {
      kind,
      tenantId: k.t,
      issuedTo: null,
      info: {
        token_type: kind,
        sub: k.u ?? `s2s:${k.id}`,
        tid: k.t,
        key_id: k.id,
        scope: k.s.join(' '),
        ...(k.x ? { exp: Math.floor(k.x / 1000) } : {}),
        ...(k.k === 's2s' ? { integration: k.n, role: k.r } : {}),
        test: k.m === 'test',
        permissions: [...permissions].sort(),
      },
      revoke: async (by) => {
        await this.keys.revokeById(k.t, k.id, { by: by.principal, reason: 'revoked_by_client' });
      },
    };
  }

  /** RFC 8414 scopes_supported: the tier scopes and every delegable permission. */
  static scopesSupported(): string[] {
    return [...Object.keys(TIER_SCOPES), ...ALL_PERMISSIONS.filter((p) => tierOf(p) < 4)];
  }
}
