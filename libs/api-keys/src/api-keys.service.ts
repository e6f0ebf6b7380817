import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import {
  AccountEvents,
  actingTenantId,
  AuthorizationCache,
  GENERAL_ROLE_PERMISSIONS,
  GeneralRole,
  Principal,
  principalAudit,
  roleRank,
  TenantAccess,
} from '@tessera/auth';
import { SecretDigest } from '@tessera/crypto';
import { decodeKeysetCursor, encodeKeysetCursor, PLATFORM_TENANT_ID, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { formatApiKey, keyPrefix, KeyMode, newKeyId } from './api-key-format';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeysErrors } from './api-keys.errors';
import { ApiKeyDto, ApiKeyListDto, ApiKeyWithSecretDto, DEFAULT_OVERLAP_SECONDS } from './dto/api-key.dto';
import { effectiveFor, normalizeScopes, scopesNotHeld } from './scopes';

export type KeyKind = 'api_key' | 's2s';

interface KeyRow {
  id: string;
  tenant_id: string;
  key_id: string;
  kind: KeyKind;
  mode: KeyMode;
  user_id: string | null;
  role: string | null;
  name: string;
  purpose: string;
  scopes: string[];
  created_by: string | null;
  created_at: Date;
  created_at_text: string;
  expires_at: Date | null;
  rotated_at: Date | null;
  previous_expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  version: string;
}

const COLUMNS = `id, tenant_id, key_id, kind, mode, user_id, role, name, purpose, scopes, created_by, created_at,
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at_text, expires_at, rotated_at,
  previous_expires_at, revoked_at, last_used_at, host(last_used_ip) as last_used_ip, version`;

const AUDIT_NAME: Record<KeyKind, string> = { api_key: 'api_key', s2s: 's2s_token' };

export function toApiKeyDto(r: KeyRow): ApiKeyDto {
  const now = Date.now();
  return {
    id: r.id,
    kind: r.kind,
    tenantId: r.tenant_id,
    name: r.name,
    purpose: r.purpose,
    prefix: keyPrefix(r.mode, r.key_id),
    mode: r.mode,
    scopes: r.scopes,
    userId: r.user_id,
    role: r.role,
    createdBy: r.created_by,
    status: r.revoked_at ? 'revoked' : r.expires_at && new Date(r.expires_at).getTime() <= now ? 'expired' : 'active',
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    rotatedAt: r.rotated_at,
    previousSecretExpiresAt: r.previous_expires_at && new Date(r.previous_expires_at).getTime() > now ? r.previous_expires_at : null,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    lastUsedIp: r.last_used_ip,
  };
}

export interface CreateKeyInput {
  name: string;
  purpose?: string;
  scopes: string[];
  expiresAt?: Date;
  mode?: KeyMode;
}

/**
 * API keys (owned by a user) and S2S tokens (owned by a named integration): one table, one
 * format, one verification path. Rules: a key never carries an explicit permission its
 * owner lacks, nor one the caller lacks when minting or rotating for somebody else (the
 * caller sees the secret); nobody manages the credentials of a user above their own role;
 * an integration's role is never above its creator's. Every change is audited in the same
 * transaction and tombstones the cached record, so every instance sees it on the next
 * request.
 */
@Injectable()
export class ApiKeysService implements OnModuleInit {
  constructor(
    private readonly db: TenantDb,
    private readonly digest: SecretDigest,
    private readonly audit: AuditService,
    private readonly authz: AuthorizationCache,
    private readonly tenantAccess: TenantAccess,
    private readonly verifier: ApiKeyAuthenticator,
    private readonly events: AccountEvents,
  ) {}

  onModuleInit(): void {
    // A suspended tenant's keys stop at once (the cached records only hold active tenants' keys).
    this.events.subscribe(async (e) => {
      if (e.type === 'tenant.suspended') await this.invalidateTenant(e.tenantId);
    });
  }

  // ---------------------------------------------------------------- API keys

  async createKey(p: Principal, input: CreateKeyInput & { userId?: string }): Promise<ApiKeyWithSecretDto> {
    const tenantId = actingTenantId(p);
    const ownerId = input.userId ?? p.userId;
    if (!ownerId) throw ApiKeysErrors.ownerNotActive();
    const forOther = ownerId !== p.userId;
    return this.refusalsAudited(p, tenantId, 'api_key.create', null, async () => {
      if (forOther && !p.permissions.has('api_keys:manage')) throw ApiKeysErrors.manageRequired();
      const scopes = normalizeScopes(input.scopes);
      this.assertFuture(input.expiresAt);
      return this.db.withTenant(tenantId, async (em) => {
        const owner = await this.owner(em, ownerId);
        if (!owner) throw ProblemError.notFound('No such user in this tenant.');
        if (owner.status !== 'active') throw ApiKeysErrors.ownerNotActive();
        if (forOther && roleRank(owner.role) > roleRank(p.role)) throw ApiKeysErrors.ownerRoleTooHigh();
        const ownerAuthz = await this.authz.forUser(owner.id, tenantId);
        if (!ownerAuthz) throw ApiKeysErrors.ownerNotActive();
        const notHeld = scopesNotHeld(scopes, ownerAuthz.permissions);
        if (notHeld.length) throw ApiKeysErrors.scopeNotHeld(notHeld);
        if (forOther) this.assertCallerCovers(p, effectiveFor(ownerAuthz.permissions, scopes));
        return this.insert(em, p, tenantId, 'api_key', { ...input, scopes }, { userId: owner.id, role: null });
      });
    });
  }

  async listKeys(p: Principal, q: { userId?: string; all?: boolean; cursor?: string; limit?: number }): Promise<ApiKeyListDto> {
    const tenantId = actingTenantId(p);
    const manage = p.permissions.has('api_keys:manage');
    const own = !q.all && (!q.userId || q.userId === p.userId);
    if (!own && !manage) {
      await this.denied(p, tenantId, { type: 'user', id: q.userId ?? null }, "listing other users' API keys without api_keys:manage");
      throw ApiKeysErrors.manageRequired();
    }
    const userId = q.all ? undefined : (q.userId ?? p.userId ?? undefined);
    if (!q.all && !userId) return { items: [], nextCursor: null };
    return this.list(tenantId, 'api_key', userId, q.cursor, q.limit);
  }

  async getKey(p: Principal, id: string): Promise<ApiKeyDto> {
    const tenantId = actingTenantId(p);
    const row = await this.db.withTenant(tenantId, (em) => this.find(em, id, 'api_key'));
    if (!row || !this.mayTouch(p, row)) return this.notFound(p, tenantId, 'api_key', id);
    return toApiKeyDto(row);
  }

  async rotateKey(p: Principal, id: string, overlapSeconds = DEFAULT_OVERLAP_SECONDS): Promise<ApiKeyWithSecretDto> {
    return this.rotate(p, 'api_key', id, overlapSeconds);
  }

  async revokeKey(p: Principal, id: string): Promise<void> {
    return this.revoke(p, 'api_key', id);
  }

  // ---------------------------------------------------------------- S2S tokens

  async createS2s(p: Principal, input: CreateKeyInput & { role: GeneralRole; tenantId?: string }): Promise<ApiKeyWithSecretDto> {
    const tenantId = input.tenantId ?? actingTenantId(p);
    return this.refusalsAudited(p, p.tenantId, 's2s_token.create', null, async () => {
      if (tenantId !== actingTenantId(p) && !(await this.tenantAccess.canActIn(p, tenantId))) throw ApiKeysErrors.tenantNotAllowed();
      if (roleRank(input.role) > roleRank(p.role)) throw ApiKeysErrors.roleTooHigh();
      if (input.role === 'system_admin' && tenantId !== PLATFORM_TENANT_ID) throw ApiKeysErrors.systemAdminOnlyInPlatform();
      const scopes = normalizeScopes(input.scopes);
      const outsideRole = scopesNotHeld(scopes, new Set(GENERAL_ROLE_PERMISSIONS[input.role]));
      if (outsideRole.length) throw ApiKeysErrors.scopeExceedsRole(outsideRole);
      this.assertCallerCovers(p, effectiveFor(GENERAL_ROLE_PERMISSIONS[input.role], scopes));
      this.assertFuture(input.expiresAt);
      return this.db.withTenant(tenantId, (em) => this.insert(em, p, tenantId, 's2s', { ...input, scopes }, { userId: null, role: input.role }));
    });
  }

  async listS2s(p: Principal, q: { cursor?: string; limit?: number }): Promise<ApiKeyListDto> {
    return this.list(actingTenantId(p), 's2s', undefined, q.cursor, q.limit);
  }

  async getS2s(p: Principal, id: string): Promise<ApiKeyDto> {
    const tenantId = actingTenantId(p);
    const row = await this.db.withTenant(tenantId, (em) => this.find(em, id, 's2s'));
    if (!row) return this.notFound(p, tenantId, 's2s', id);
    return toApiKeyDto(row);
  }

  async rotateS2s(p: Principal, id: string, overlapSeconds = DEFAULT_OVERLAP_SECONDS): Promise<ApiKeyWithSecretDto> {
    return this.rotate(p, 's2s', id, overlapSeconds);
  }

  async revokeS2s(p: Principal, id: string): Promise<void> {
    return this.revoke(p, 's2s', id);
  }

  // ---------------------------------------------------------------- shared

  /** Revokes a key found by the revocation endpoint (RFC 7009); the caller was authorized there. */
  async revokeById(tenantId: string, id: string, audit: { by: Principal; reason: string }): Promise<boolean> {
    return this.db.withTenant(tenantId, async (em) => {
      const [row] = await em.execute<{ key_id: string; kind: KeyKind; version: string }[]>(
        `update api_keys set revoked_at = now(), revoked_reason = ?, version = version + 1, updated_at = now()
          where id = ? and revoked_at is null returning key_id, kind, version`,
        [audit.reason, id],
      );
      if (!row) return false;
      await this.verifier.cache.invalidate(row.key_id, row.version);
      await this.audit.record(
        { action: `${AUDIT_NAME[row.kind]}.revoke`, outcome: 'success', tenantId, ...principalAudit(audit.by), target: { type: row.kind, id }, riskTier: 2, reason: audit.reason },
        em,
      );
      return true;
    });
  }

  private async insert(
    em: EntityManager,
    p: Principal,
    tenantId: string,
    kind: KeyKind,
    input: CreateKeyInput & { scopes: string[] },
    owner: { userId: string | null; role: GeneralRole | null },
  ): Promise<ApiKeyWithSecretDto> {
    const mode = input.mode ?? 'live';
    const keyId = newKeyId();
    const key = formatApiKey(mode, keyId);
    const [row] = await em.execute<KeyRow[]>(
      `insert into api_keys (tenant_id, key_id, kind, mode, user_id, role, name, purpose, scopes, secret_digest, created_by, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?, ?, ?) returning ${COLUMNS}`,
      [tenantId, keyId, kind, mode, owner.userId, owner.role, input.name.trim(), input.purpose ?? '', `{${input.scopes.join(',')}}`, this.digest.digest(key), p.userId, input.expiresAt ?? null],
    );
    // A made-up id remembered as absent (version 0) is replaced by this version's tombstone.
    await this.verifier.cache.invalidate(keyId, row!.version);
    await this.audit.record(
      {
        action: `${AUDIT_NAME[kind]}.create`,
        outcome: 'success',
        tenantId,
        ...principalAudit(p),
        target: { type: kind, id: row!.id },
        riskTier: kind === 's2s' ? 3 : 2,
        params: {
          name: row!.name,
          mode,
          scopes: input.scopes,
          ...(owner.userId ? { owner: owner.userId } : {}),
          ...(owner.role ? { role: owner.role } : {}),
          ...(input.expiresAt ? { expiresAt: input.expiresAt.toISOString() } : {}),
        },
      },
      em,
    );
    return { ...toApiKeyDto(row!), key };
  }

  private async rotate(p: Principal, kind: KeyKind, id: string, overlapSeconds: number): Promise<ApiKeyWithSecretDto> {
    const tenantId = actingTenantId(p);
    return this.refusalsAudited(p, tenantId, `${AUDIT_NAME[kind]}.rotate`, id, () =>
      this.db.withTenant(tenantId, async (em) => {
        const row = await this.find(em, id, kind, true);
        if (!row || !this.mayTouch(p, row)) throw ApiKeysErrors.notFound();
        if (row.revoked_at) throw ApiKeysErrors.revoked();
        await this.assertMayManageOwner(em, p, row, true);
        const key = formatApiKey(row.mode, row.key_id);
        const [next] = await em.execute<KeyRow[]>(
          `update api_keys set previous_digest = case when ? > 0 then secret_digest end,
                  previous_expires_at = case when ? > 0 then now() + make_interval(secs => ?) end,
                  secret_digest = ?, rotated_at = now(), updated_at = now(), version = version + 1
            where id = ? returning ${COLUMNS}`,
          [overlapSeconds, overlapSeconds, overlapSeconds, this.digest.digest(key), id],
        );
        await this.verifier.cache.invalidate(row.key_id, next!.version);
        await this.audit.record(
          {
            action: `${AUDIT_NAME[kind]}.rotate`,
            outcome: 'success',
            tenantId,
            ...principalAudit(p),
            target: { type: kind, id },
            riskTier: kind === 's2s' ? 3 : 2,
            params: { overlapSeconds },
          },
          em,
        );
        return { ...toApiKeyDto(next!), key };
      }),
    );
  }

  private async revoke(p: Principal, kind: KeyKind, id: string): Promise<void> {
    const tenantId = actingTenantId(p);
    await this.refusalsAudited(p, tenantId, `${AUDIT_NAME[kind]}.revoke`, id, () =>
      this.db.withTenant(tenantId, async (em) => {
        const row = await this.find(em, id, kind, true);
        if (!row || !this.mayTouch(p, row)) throw ApiKeysErrors.notFound();
        if (row.revoked_at) return;
        await this.assertMayManageOwner(em, p, row, false);
        const [next] = await em.execute<{ version: string }[]>(
          `update api_keys set revoked_at = now(), revoked_reason = 'revoked', updated_at = now(), version = version + 1 where id = ? returning version`,
          [id],
        );
        await this.verifier.cache.invalidate(row.key_id, next!.version);
        await this.audit.record(
          { action: `${AUDIT_NAME[kind]}.revoke`, outcome: 'success', tenantId, ...principalAudit(p), target: { type: kind, id }, riskTier: 2 },
          em,
        );
      }),
    );
  }

  private async list(tenantId: string, kind: KeyKind, userId: string | undefined, cursor?: string, limit = 50): Promise<ApiKeyListDto> {
    const after = cursor ? decodeKeysetCursor(cursor) : null;
    if (cursor && !after) throw ApiKeysErrors.invalidCursor();
    const rows = await this.db.withTenant(tenantId, (em) =>
      em.execute<KeyRow[]>(
        `select ${COLUMNS} from api_keys where kind = ? ${userId ? 'and user_id = ?' : ''}
           ${after ? 'and (created_at, id) < (?::timestamptz, ?::uuid)' : ''}
          order by created_at desc, id desc limit ?`,
        [kind, ...(userId ? [userId] : []), ...(after ?? []), limit + 1],
      ),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toApiKeyDto), nextCursor: rows.length > limit && last ? encodeKeysetCursor(last.created_at_text, last.id) : null };
  }

  private async find(em: EntityManager, id: string, kind: KeyKind, forUpdate = false): Promise<KeyRow | null> {
    const rows = await em.execute<KeyRow[]>(`select ${COLUMNS} from api_keys where id = ? and kind = ?${forUpdate ? ' for update' : ''}`, [id, kind]);
    return rows[0] ?? null;
  }

  /** Own keys, or anyone's with api_keys:manage; S2S routes are guarded by s2s_tokens:write. */
  private mayTouch(p: Principal, row: KeyRow): boolean {
    return row.kind === 's2s' || row.user_id === p.userId || p.permissions.has('api_keys:manage');
  }

  /**
   * Someone else's key: never of a user above the caller's role; and rotating hands the
   * caller the new secret, so the key must not allow anything the caller lacks.
   */
  private async assertMayManageOwner(em: EntityManager, p: Principal, row: KeyRow, learnsSecret: boolean): Promise<void> {
    if (row.kind === 's2s') {
      if (roleRank(row.role as GeneralRole) > roleRank(p.role)) throw ApiKeysErrors.roleTooHigh();
      if (learnsSecret) this.assertCallerCovers(p, effectiveFor(GENERAL_ROLE_PERMISSIONS[row.role as GeneralRole], row.scopes));
      return;
    }
    if (row.user_id === p.userId) return;
    const owner = await this.owner(em, row.user_id!);
    if (owner && roleRank(owner.role) > roleRank(p.role)) throw ApiKeysErrors.ownerRoleTooHigh();
    if (learnsSecret && owner) {
      const ownerAuthz = await this.authz.forUser(owner.id, row.tenant_id);
      if (ownerAuthz) this.assertCallerCovers(p, effectiveFor(ownerAuthz.permissions, row.scopes));
    }
  }

  private assertCallerCovers(p: Principal, effective: Set<string>): void {
    const missing = [...effective].filter((x) => !p.permissions.has(x));
    if (missing.length) throw ApiKeysErrors.scopeNotHeld(missing.sort());
  }

  private assertFuture(expiresAt?: Date): void {
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw ApiKeysErrors.expiryInPast();
  }

  private async owner(em: EntityManager, userId: string): Promise<{ id: string; role: GeneralRole; status: string } | null> {
    const rows = await em.execute<{ id: string; role: GeneralRole; status: string }[]>('select id, role, status from users where id = ?', [userId]);
    return rows[0] ?? null;
  }

  private async invalidateTenant(tenantId: string): Promise<void> {
    await this.db.withTenant(tenantId, async (em) => {
      const rows = await em.execute<{ key_id: string; version: string }[]>(
        'update api_keys set version = version + 1 where tenant_id = ? and revoked_at is null returning key_id, version',
        [tenantId],
      );
      for (const r of rows) await this.verifier.cache.invalidate(r.key_id, r.version);
    });
  }

  /** An id that is not there, or not the caller's to see: 404, and the probe is audited. */
  private async notFound(p: Principal, tenantId: string, kind: KeyKind, id: string): Promise<never> {
    await this.denied(p, tenantId, { type: kind, id }, `${kind} not found in the caller's reach`);
    throw ApiKeysErrors.notFound();
  }

  private async denied(p: Principal, tenantId: string, target: { type: string; id: string | null }, reason: string): Promise<void> {
    await this.audit.record({ action: 'access.denied', decision: 'deny', outcome: 'failure', tenantId: p.tenantId, ...principalAudit(p), target, reason, params: { tenantId } });
  }

  private refusalsAudited<T>(p: Principal, tenantId: string, action: string, targetId: string | null, fn: () => Promise<T>): Promise<T> {
    return credentialRefusalsAudited(this.audit, p, tenantId, action, targetId, fn);
  }

}

/**
 * Machine-credential management (keys, S2S tokens, OAuth clients): a 4xx refusal writes one
 * failure row — `access.denied` for 403/404 (out of reach), else the action itself — in the
 * caller's tenant, with the problem code (and refused scopes) as the reason.
 */
export async function credentialRefusalsAudited<T>(
  audit: AuditService,
  p: Principal,
  tenantId: string,
  action: string,
  targetId: string | null,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProblemError && err.status >= 400 && err.status < 500) {
      const denied = err.status === 403 || err.status === 404;
      await audit.record({
        action: denied ? 'access.denied' : action,
        outcome: 'failure',
        decision: 'deny',
        tenantId: p.tenantId,
        ...principalAudit(p),
        target: { type: action.split('.')[0]!, id: targetId },
        reason: `${action}: ${err.code}${err.extensions.scopes ? ` (${(err.extensions.scopes as string[]).join(', ')})` : ''}`,
        params: { tenantId },
      });
    }
    throw err;
  }
}
