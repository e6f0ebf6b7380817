import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApiKeysErrors, credentialRefusalsAudited, effectiveFor, normalizeScopes, scopesNotHeld } from '@tessera/api-keys';
import { AuditService } from '@tessera/audit';
import { AccountEvents, actingTenantId, AuthorizationCache, GeneralRole, Principal, principalAudit, roleRank } from '@tessera/auth';
import { SecretDigest } from '@tessera/crypto';
import { decodeKeysetCursor, encodeKeysetCursor, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { TokenCache } from '@tessera/sessions';
import { importJWK, JWK } from 'jose';
import { ASSERTION_ALGS, ClientAuthentication } from './client-authentication.service';
import { newClientId, newClientSecret } from './client-format';
import { OAuthClientDto, OAuthClientListDto, OAuthClientWithSecretDto } from './dto/oauth.dto';

interface ClientRow {
  id: string;
  tenant_id: string;
  client_id: string;
  user_id: string;
  name: string;
  scopes: string[];
  auth_method: 'client_secret' | 'private_key_jwt';
  status: 'active' | 'disabled';
  created_by: string | null;
  created_at: Date;
  created_at_text: string;
  rotated_at: Date | null;
  previous_expires_at: Date | null;
  last_used_at: Date | null;
  version: string;
}

const COLUMNS = `id, tenant_id, client_id, user_id, name, scopes, auth_method, status, created_by, created_at,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at_text, rotated_at, previous_expires_at, last_used_at, version`;

export const OAuthClientErrors = {
  notFound: () => ProblemError.notFound('No such OAuth client in this tenant.'),
  badJwks: (detail: string) =>
    ProblemError.badRequest('validation-failed', 'The request is not valid', detail, { errors: [{ field: 'jwks', messages: [detail] }] }),
  noSecret: () => ProblemError.conflict('no-client-secret', 'No client secret', 'This client authenticates with private_key_jwt; it has no secret to rotate.'),
};

export function toClientDto(r: ClientRow): OAuthClientDto {
  return {
    id: r.id,
    clientId: r.client_id,
    tenantId: r.tenant_id,
    name: r.name,
    userId: r.user_id,
    scopes: r.scopes,
    tokenEndpointAuthMethods: r.auth_method === 'client_secret' ? ['client_secret_basic', 'client_secret_post'] : ['private_key_jwt'],
    status: r.status,
    createdBy: r.created_by,
    createdAt: r.created_at,
    rotatedAt: r.rotated_at,
    previousSecretExpiresAt: r.previous_expires_at && new Date(r.previous_expires_at).getTime() > Date.now() ? r.previous_expires_at : null,
    lastUsedAt: r.last_used_at,
  };
}

/**
 * Confidential OAuth clients bound to a user of their tenant: their tokens carry that
 * user's permissions as they are at each request (∩ the client's scopes). Whoever creates
 * a client or rotates its secret learns a credential that acts as that user, so: never a
 * user above the caller's role, never more than the caller holds. Disable and delete forget
 * the client's live tokens at once.
 */
@Injectable()
export class OAuthClientsService implements OnModuleInit {
  constructor(
    private readonly db: TenantDb,
    private readonly digest: SecretDigest,
    private readonly audit: AuditService,
    private readonly authz: AuthorizationCache,
    private readonly auth: ClientAuthentication,
    private readonly tokenCache: TokenCache,
    private readonly events: AccountEvents,
  ) {}

  onModuleInit(): void {
    this.events.subscribe(async (e) => {
      if (e.type === 'tenant.suspended') await this.suspendTenant(e.tenantId);
    });
  }

  async create(
    p: Principal,
    input: { name: string; userId: string; scopes?: string[]; tokenEndpointAuthMethod?: string; jwks?: { keys: Record<string, unknown>[] } },
  ): Promise<OAuthClientWithSecretDto> {
    const tenantId = actingTenantId(p);
    return this.refusalsAudited(p, tenantId, 'oauth_client.create', null, async () => {
      const scopes = normalizeScopes(input.scopes ?? ['execute']);
      const jwt = input.tokenEndpointAuthMethod === 'private_key_jwt';
      if (jwt) await this.checkJwks(input.jwks);
      else if (input.jwks) throw OAuthClientErrors.badJwks('jwks is only for private_key_jwt clients.');
      return this.db.withTenant(tenantId, async (em) => {
        const [user] = await em.execute<{ id: string; role: GeneralRole; status: string }[]>('select id, role, status from users where id = ?', [input.userId]);
        if (!user) throw ProblemError.notFound('No such user in this tenant.');
        if (user.status !== 'active') throw ApiKeysErrors.ownerNotActive();
        if (roleRank(user.role) > roleRank(p.role)) throw ApiKeysErrors.ownerRoleTooHigh();
        const owner = await this.authz.forUser(user.id, tenantId);
        if (!owner) throw ApiKeysErrors.ownerNotActive();
        const notHeld = scopesNotHeld(scopes, owner.permissions);
        if (notHeld.length) throw ApiKeysErrors.scopeNotHeld(notHeld);
        this.assertCallerCovers(p, effectiveFor(owner.permissions, scopes));
        const clientId = newClientId();
        const secret = jwt ? undefined : newClientSecret();
        const [row] = await em.execute<ClientRow[]>(
          `insert into oauth_clients (tenant_id, client_id, user_id, name, scopes, auth_method, secret_digest, jwks, created_by)
           values (?, ?, ?, ?, ?::text[], ?, ?, ?::jsonb, ?) returning ${COLUMNS}`,
          [tenantId, clientId, user.id, input.name.trim(), `{${scopes.join(',')}}`, jwt ? 'private_key_jwt' : 'client_secret', secret ? this.digest.digest(secret) : null, jwt ? JSON.stringify(input.jwks) : null, p.userId],
        );
        await this.auth.cache.invalidate(clientId, row!.version);
        await this.audit.record(
          {
            action: 'oauth_client.create',
            outcome: 'success',
            tenantId,
            ...principalAudit(p),
            target: { type: 'oauth_client', id: row!.id },
            riskTier: 3,
            params: { clientId, name: row!.name, owner: user.id, scopes, authMethod: row!.auth_method },
          },
          em,
        );
        return { ...toClientDto(row!), ...(secret ? { clientSecret: secret } : {}) };
      });
    });
  }

  async list(p: Principal, q: { cursor?: string; limit?: number }): Promise<OAuthClientListDto> {
    const tenantId = actingTenantId(p);
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeKeysetCursor(q.cursor) : null;
    if (q.cursor && !after) throw ApiKeysErrors.invalidCursor();
    const rows = await this.db.withTenant(tenantId, (em) =>
      em.execute<ClientRow[]>(
        `select ${COLUMNS} from oauth_clients ${after ? 'where (created_at, id) < (?::timestamptz, ?::uuid)' : ''} order by created_at desc, id desc limit ?`,
        [...(after ?? []), limit + 1],
      ),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toClientDto), nextCursor: rows.length > limit && last ? encodeKeysetCursor(last.created_at_text, last.id) : null };
  }

  async get(p: Principal, id: string): Promise<OAuthClientDto> {
    const tenantId = actingTenantId(p);
    const row = await this.db.withTenant(tenantId, (em) => this.find(em, id));
    if (!row) return this.notFound(p, tenantId, id);
    return toClientDto(row);
  }

  async setStatus(p: Principal, id: string, status: 'active' | 'disabled'): Promise<OAuthClientDto> {
    const tenantId = actingTenantId(p);
    const action = status === 'disabled' ? 'oauth_client.disable' : 'oauth_client.enable';
    const row = await this.refusalsAudited(p, tenantId, action, id, () =>
      this.db.withTenant(tenantId, async (em) => {
        const row = await this.find(em, id, true);
        if (!row) throw OAuthClientErrors.notFound();
        await this.assertMayManage(em, p, row, false);
        if (row.status === status) return row;
        const [next] = await em.execute<ClientRow[]>(`update oauth_clients set status = ?, updated_at = now(), version = version + 1 where id = ? returning ${COLUMNS}`, [status, id]);
        await this.auth.cache.invalidate(row.client_id, next!.version);
        await this.audit.record({ action, outcome: 'success', tenantId, ...principalAudit(p), target: { type: 'oauth_client', id }, riskTier: 3 }, em);
        return next!;
      }),
    );
    // After the commit: no instance can cache a new token for it any more (they re-check).
    if (status === 'disabled') await this.tokenCache.forgetClients([id]);
    return toClientDto(row);
  }

  async rotateSecret(p: Principal, id: string, overlapSeconds = 86_400): Promise<OAuthClientWithSecretDto> {
    const tenantId = actingTenantId(p);
    return this.refusalsAudited(p, tenantId, 'oauth_client.rotate_secret', id, () =>
      this.db.withTenant(tenantId, async (em) => {
        const row = await this.find(em, id, true);
        if (!row) throw OAuthClientErrors.notFound();
        if (row.auth_method !== 'client_secret') throw OAuthClientErrors.noSecret();
        await this.assertMayManage(em, p, row, true);
        const secret = newClientSecret();
        const [next] = await em.execute<ClientRow[]>(
          `update oauth_clients set previous_digest = case when ? > 0 then secret_digest end,
                  previous_expires_at = case when ? > 0 then now() + make_interval(secs => ?) end,
                  secret_digest = ?, rotated_at = now(), updated_at = now(), version = version + 1
            where id = ? returning ${COLUMNS}`,
          [overlapSeconds, overlapSeconds, overlapSeconds, this.digest.digest(secret), id],
        );
        await this.auth.cache.invalidate(row.client_id, next!.version);
        await this.audit.record(
          { action: 'oauth_client.rotate_secret', outcome: 'success', tenantId, ...principalAudit(p), target: { type: 'oauth_client', id }, riskTier: 3, params: { overlapSeconds } },
          em,
        );
        return { ...toClientDto(next!), clientSecret: secret };
      }),
    );
  }

  async delete(p: Principal, id: string): Promise<void> {
    const tenantId = actingTenantId(p);
    await this.refusalsAudited(p, tenantId, 'oauth_client.delete', id, () =>
      this.db.withTenant(tenantId, async (em) => {
        const row = await this.find(em, id, true);
        if (!row) throw OAuthClientErrors.notFound();
        await this.assertMayManage(em, p, row, false);
        await this.auth.cache.invalidate(row.client_id, Number(row.version) + 1);
        await em.execute('delete from oauth_clients where id = ?', [id]);
        await this.audit.record(
          { action: 'oauth_client.delete', outcome: 'success', tenantId, ...principalAudit(p), target: { type: 'oauth_client', id }, riskTier: 3, params: { clientId: row.client_id, name: row.name } },
          em,
        );
      }),
    );
    await this.tokenCache.forgetClients([id]);
  }

  private async find(em: EntityManager, id: string, forUpdate = false): Promise<ClientRow | null> {
    const rows = await em.execute<ClientRow[]>(`select ${COLUMNS} from oauth_clients where id = ?${forUpdate ? ' for update' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /** The client acts as its user: nobody manages a client of a user above their role; a new secret must not give the caller more than it holds. */
  private async assertMayManage(em: EntityManager, p: Principal, row: ClientRow, learnsSecret: boolean): Promise<void> {
    const [user] = await em.execute<{ role: GeneralRole }[]>('select role from users where id = ?', [row.user_id]);
    if (user && roleRank(user.role) > roleRank(p.role)) throw ApiKeysErrors.ownerRoleTooHigh();
    if (learnsSecret) {
      const owner = await this.authz.forUser(row.user_id, row.tenant_id);
      if (owner) this.assertCallerCovers(p, effectiveFor(owner.permissions, row.scopes));
    }
  }

  private assertCallerCovers(p: Principal, effective: Set<string>): void {
    const missing = [...effective].filter((x) => !p.permissions.has(x));
    if (missing.length) throw ApiKeysErrors.scopeNotHeld(missing.sort());
  }

  /** Public keys only, of algorithms we accept for assertions; jose parses each one. */
  private async checkJwks(jwks: { keys: Record<string, unknown>[] } | undefined): Promise<void> {
    if (!jwks || !Array.isArray(jwks.keys) || !jwks.keys.length || jwks.keys.length > 10) throw OAuthClientErrors.badJwks('private_key_jwt needs jwks with 1 to 10 public keys.');
    for (const k of jwks.keys) {
      if (typeof k !== 'object' || k === null || 'd' in k || 'p' in k || 'k' in k) throw OAuthClientErrors.badJwks('jwks must hold public keys only.');
      const alg = typeof k.alg === 'string' ? k.alg : k.kty === 'EC' ? 'ES256' : k.kty === 'OKP' ? 'EdDSA' : 'RS256';
      if (!ASSERTION_ALGS.includes(alg)) throw OAuthClientErrors.badJwks(`Unsupported key algorithm ${alg}.`);
      try {
        await importJWK(k as JWK, alg);
      } catch {
        throw OAuthClientErrors.badJwks('A key in jwks is not a valid public JWK.');
      }
    }
  }

  private async suspendTenant(tenantId: string): Promise<void> {
    const ids = await this.db.withTenant(tenantId, async (em) => {
      const rows = await em.execute<{ id: string; client_id: string; version: string }[]>(
        'update oauth_clients set version = version + 1 where tenant_id = ? returning id, client_id, version',
        [tenantId],
      );
      for (const r of rows) await this.auth.cache.invalidate(r.client_id, r.version);
      return rows.map((r) => r.id);
    });
    await this.tokenCache.forgetClients(ids);
  }

  private async notFound(p: Principal, tenantId: string, id: string): Promise<never> {
    await this.audit.record({ action: 'access.denied', decision: 'deny', outcome: 'failure', tenantId: p.tenantId, ...principalAudit(p), target: { type: 'oauth_client', id }, reason: "oauth client not found in the caller's reach", params: { tenantId } });
    throw OAuthClientErrors.notFound();
  }

  private refusalsAudited<T>(p: Principal, tenantId: string, action: string, targetId: string | null, fn: () => Promise<T>): Promise<T> {
    return credentialRefusalsAudited(this.audit, p, tenantId, action, targetId, fn);
  }

}
