import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import {
  actingTenantId,
  AuthorizationCache,
  BUILTIN_TASK_ROLES,
  GENERAL_ROLE_PERMISSIONS,
  GENERAL_ROLES,
  isBuiltinTaskRole,
  isGeneralRole,
  isPermission,
  PERMISSIONS,
  Principal,
  principalAudit,
  tierOf,
} from '@tessera/auth';
import { isUuid, TenantDb } from '@tessera/database';
import { RoleDto } from './dto/roles.dto';
import { RbacErrors } from './rbac.errors';

interface RoleRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  permissions: string[];
  created_at: Date;
  updated_at: Date;
  holders: number;
}

const toDto = (r: RoleRow): RoleDto => ({
  id: r.id,
  name: r.name,
  kind: 'custom',
  description: r.description,
  permissions: [...r.permissions].sort(),
  tenantId: r.tenant_id,
  holders: Number(r.holders),
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const GENERAL_DESCRIPTIONS: Record<string, string> = {
  member: 'Every user: their own profile, sessions and API keys.',
  tenant_admin: 'Administers one tenant: users, roles, sessions, audit, credentials, SSO.',
  domain_admin: 'Administers a tenant and all its descendants; creates and suspends child tenants.',
  system_admin: 'The whole platform, including tier-4 operations.',
};

/** The built-in roles as the API lists them: general roles, then task roles (fixed: built once). */
function builtinRoles(): RoleDto[] {
  const general = GENERAL_ROLES.map<RoleDto>((name) => ({
    id: name,
    name,
    kind: 'general',
    description: GENERAL_DESCRIPTIONS[name] ?? '',
    permissions: [...GENERAL_ROLE_PERMISSIONS[name]].sort(),
    tenantId: null,
    holders: null,
    createdAt: null,
    updatedAt: null,
  }));
  const task = Object.entries(BUILTIN_TASK_ROLES).map<RoleDto>(([name, r]) => ({
    id: name,
    name,
    kind: 'task',
    description: r.description,
    permissions: [...r.permissions].sort(),
    tenantId: null,
    holders: null,
    createdAt: null,
    updatedAt: null,
  }));
  return [...general, ...task];
}

export const BUILTIN_ROLES: readonly RoleDto[] = builtinRoles();

const SELECT = `select r.id, r.tenant_id, r.name, r.description, r.permissions, r.created_at, r.updated_at,
                       (select count(*) from user_roles ur where ur.role_id = r.id)::int as holders
                  from roles r`;

/**
 * Custom task roles of a tenant (CRUD at /v1/roles). A custom role is a named set of
 * registry permissions below tier 4. Nobody puts into a role — or changes or deletes a role
 * holding — a permission they do not hold themselves. Changing or deleting a role bumps the
 * authorization version of every holder in the same transaction, so it takes effect on
 * their next request.
 */
@Injectable()
export class RolesService {
  constructor(
    private readonly db: TenantDb,
    private readonly audit: AuditService,
    private readonly authz: AuthorizationCache,
  ) {}

  async list(p: Principal): Promise<RoleDto[]> {
    const tenantId = actingTenantId(p);
    const rows = await this.db.withTenant(tenantId, (em) =>
      em.execute<RoleRow[]>(`${SELECT} where r.tenant_id = ? order by r.name`, [tenantId]),
    );
    return [...BUILTIN_ROLES, ...rows.map(toDto)];
  }

  async get(p: Principal, id: string): Promise<RoleDto> {
    const builtin = BUILTIN_ROLES.find((r) => r.id === id);
    if (builtin) return builtin;
    const tenantId = actingTenantId(p);
    return this.db.withTenant(tenantId, async (em) => toDto(await this.load(em, p, tenantId, id)));
  }

  async create(
    p: Principal,
    input: { name: string; description?: string; permissions: string[] },
  ): Promise<RoleDto> {
    const tenantId = actingTenantId(p);
    return this.refusalsAudited(p, tenantId, 'role.create', null, async () => {
      this.assertName(input.name);
      this.assertGrantable(p, input.permissions);
      return this.db.withTenant(tenantId, async (em) => {
        const [row] = await this.unique(() =>
          em.execute<RoleRow[]>(
            `insert into roles (tenant_id, name, description, permissions) values (?, ?, ?, array(select jsonb_array_elements_text(?::jsonb)))
             returning *, 0 as holders`,
            [tenantId, input.name, input.description ?? '', JSON.stringify(input.permissions)],
          ),
        );
        await this.record(em, p, tenantId, 'role.create', row!.id, {
          name: input.name,
          permissions: input.permissions,
        });
        return toDto(row!);
      });
    });
  }

  async update(
    p: Principal,
    id: string,
    input: { name?: string; description?: string; permissions?: string[] },
  ): Promise<RoleDto> {
    const tenantId = actingTenantId(p);
    return this.refusalsAudited(p, tenantId, 'role.update', id, () =>
      this.db.withTenant(tenantId, async (em) => {
        const current = await this.load(em, p, tenantId, id);
        if (input.name !== undefined && input.name !== current.name) this.assertName(input.name);
        // The editor must hold what the role grants now and what it will grant.
        this.assertHeld(p, current.permissions);
        if (input.permissions) this.assertGrantable(p, input.permissions);
        const [row] = await this.unique(() =>
          em.execute<RoleRow[]>(
            `update roles set name = coalesce(?, name), description = coalesce(?, description),
                    permissions = case when ?::jsonb is null then permissions else array(select jsonb_array_elements_text(?::jsonb)) end, updated_at = now()
              where id = ? returning *, (select count(*) from user_roles ur where ur.role_id = roles.id)::int as holders`,
            [
              input.name ?? null,
              input.description ?? null,
              ...Array<string | null>(2).fill(
                input.permissions ? JSON.stringify(input.permissions) : null,
              ),
              id,
            ],
          ),
        );
        const before = new Set(current.permissions);
        const after = new Set(row!.permissions);
        const added = [...after].filter((x) => !before.has(x));
        const removed = [...before].filter((x) => !after.has(x));
        // Holders' cached authorization names the role and carries its permissions.
        if (added.length || removed.length || row!.name !== current.name)
          await this.bumpHolders(em, id);
        await this.record(em, p, tenantId, 'role.update', id, {
          ...(input.name !== undefined ? { name: row!.name } : {}),
          ...(added.length ? { added } : {}),
          ...(removed.length ? { removed } : {}),
        });
        return toDto(row!);
      }),
    );
  }

  async remove(p: Principal, id: string): Promise<void> {
    const tenantId = actingTenantId(p);
    await this.refusalsAudited(p, tenantId, 'role.delete', id, () =>
      this.db.withTenant(tenantId, async (em) => {
        const current = await this.load(em, p, tenantId, id);
        this.assertHeld(p, current.permissions);
        const holders = await this.bumpHolders(em, id);
        await em.execute('delete from roles where id = ?', [id]);
        await this.record(em, p, tenantId, 'role.delete', id, {
          name: current.name,
          permissions: current.permissions,
          holders,
        });
      }),
    );
  }

  /** A custom role of the acting tenant; anything else (other tenant, unknown, malformed) is 404, audited. */
  private async load(
    em: EntityManager,
    p: Principal,
    tenantId: string,
    id: string,
  ): Promise<RoleRow> {
    const rows = isUuid(id)
      ? await em.execute<RoleRow[]>(`${SELECT} where r.id = ? for update`, [id])
      : [];
    if (!rows[0]) {
      await this.audit.record({
        action: 'access.denied',
        decision: 'deny',
        outcome: 'failure',
        tenantId: p.tenantId,
        ...principalAudit(p),
        target: { type: 'role', id: isUuid(id) ? id : null },
        reason: `role not found in tenant ${tenantId}`,
      });
      throw RbacErrors.roleNotFound();
    }
    return rows[0];
  }

  private assertName(name: string): void {
    if (isGeneralRole(name) || isBuiltinTaskRole(name)) throw RbacErrors.nameReserved();
  }

  /** Registry permissions below tier 4, each held by the caller. */
  private assertGrantable(p: Principal, permissions: string[]): void {
    const unknown = permissions.filter((x) => !isPermission(x));
    if (unknown.length) throw RbacErrors.unknownPermissions(unknown);
    const tier4 = permissions.filter((x) => isPermission(x) && tierOf(x) === 4);
    if (tier4.length) throw RbacErrors.tier4NotAllowed(tier4);
    this.assertHeld(p, permissions);
  }

  private assertHeld(p: Principal, permissions: string[]): void {
    const missing = permissions.filter((x) => !p.permissions.has(x));
    if (missing.length) throw RbacErrors.permissionNotHeld(missing);
  }

  /** Holders' cached authorization is replaced on their next request (see AuthorizationCache). */
  private async bumpHolders(em: EntityManager, roleId: string): Promise<number> {
    const rows = await em.execute<{ id: string; authz_version: string }[]>(
      `update users set authz_version = authz_version + 1
        where id in (select user_id from user_roles where role_id = ?) returning id, authz_version`,
      [roleId],
    );
    await this.authz.invalidate(rows.map((r) => ({ userId: r.id, version: r.authz_version })));
    return rows.length;
  }

  private async unique<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw RbacErrors.nameTaken();
      throw err;
    }
  }

  private record(
    em: EntityManager,
    p: Principal,
    tenantId: string,
    action: string,
    roleId: string,
    params: Record<string, unknown>,
  ) {
    return this.audit.record(
      {
        action,
        outcome: 'success',
        tenantId,
        ...principalAudit(p),
        target: { type: 'role', id: roleId },
        riskTier: 3,
        params,
      },
      em,
    );
  }

  private refusalsAudited<T>(
    p: Principal,
    tenantId: string,
    action: string,
    roleId: string | null,
    fn: () => Promise<T>,
  ): Promise<T> {
    return this.audit.refusalsAudited(
      { action, tenantId, ...principalAudit(p), target: { type: 'role', id: roleId }, riskTier: 3 },
      fn,
    );
  }
}

export const PERMISSION_LIST = () =>
  Object.entries(PERMISSIONS).map(([name, v]) => ({
    name,
    tier: v.tier,
    description: v.description,
  }));
