import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import {
  AccountEvents,
  AuthorizationCache,
  BUILTIN_TASK_ROLES,
  effectivePermissions,
  GeneralRole,
  isBuiltinTaskRole,
  isPermission,
  Principal,
  principalAudit,
  roleAtLeast,
  tierOf,
} from '@tessera/auth';
import { TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { User, UserAccess, userActor } from '@tessera/users';
import { TaskRoleRefDto, UserRolesDto } from './dto/roles.dto';
import { RbacErrors } from './rbac.errors';

interface HeldRole {
  builtin: string | null;
  role_id: string | null;
  name: string;
  permissions: string[];
}

/**
 * A user's general role and task roles (`PUT /v1/users/:id/roles` replaces both). The rules:
 * the caller may reach the user (else 404), manages nobody above its own role, grants no
 * general role above its own (system_admin: tier-4 permission, platform tenant only), adds
 * or removes no task role whose permissions it does not hold, never changes its own roles,
 * and never demotes the last active admin of a tenant. The change bumps the user's
 * authorization version in the same transaction: it applies on the next request, on every
 * instance, without waiting for the access token to expire.
 */
@Injectable()
export class RoleAssignmentService {
  constructor(
    private readonly db: TenantDb,
    private readonly access: UserAccess,
    private readonly audit: AuditService,
    private readonly authz: AuthorizationCache,
    private readonly events: AccountEvents,
  ) {}

  async get(p: Principal, userId: string): Promise<UserRolesDto> {
    const tenantId = await this.access.tenantOfUser(userActor(p), userId);
    return this.db.withTenant(tenantId, async (em) => {
      const user = await em.findOne(User, { id: userId });
      if (!user) throw ProblemError.notFound();
      return view(user, await this.held(em, userId));
    });
  }

  async set(
    p: Principal,
    userId: string,
    input: { role: GeneralRole; taskRoles: string[] },
  ): Promise<UserRolesDto> {
    const actor = userActor(p);
    const tenantId = await this.access.tenantOfUser(actor, userId);
    const refusal = {
      action: 'user.roles_change',
      tenantId,
      ...principalAudit(p),
      target: { type: 'user', id: userId },
      riskTier: 3 as const,
      params: { role: input.role, taskRoles: input.taskRoles },
    };
    let elevated = false;
    const result = await this.audit.refusalsAudited(refusal, () =>
      this.db.withTenant(tenantId, async (em) => {
        const user = await em.findOne(User, { id: userId });
        if (!user) throw ProblemError.notFound();
        if (p.userId === user.id) throw RbacErrors.cannotChangeOwnRoles();
        this.access.assertMayManage(actor, user);

        const before = await this.held(em, userId);
        const wanted = await this.resolve(em, input.taskRoles);
        const key = (r: HeldRole) => r.builtin ?? r.role_id!;
        const beforeKeys = new Set(before.map(key));
        const wantedKeys = new Set(wanted.map(key));
        const added = wanted.filter((r) => !beforeKeys.has(key(r)));
        const removed = before.filter((r) => !wantedKeys.has(key(r)));

        if (input.role !== user.role) {
          this.access.assertMayGrant(actor, input.role, tenantId);
          // Taking system_admin away is as sensitive as granting it.
          if (user.role === 'system_admin')
            this.access.assertMayGrant(actor, 'system_admin', tenantId);
          if (!roleAtLeast(input.role, 'tenant_admin'))
            await this.access.assertNotLastAdmin(em, actor, user);
        }
        const missing = [...added, ...removed]
          .flatMap((r) => r.permissions)
          .filter((x) => !p.permissions.has(x));
        if (missing.length) throw RbacErrors.permissionNotHeld([...new Set(missing)].sort());

        if (input.role === user.role && !added.length && !removed.length) return view(user, before);

        const [bumped] = await em.execute<{ authz_version: string }[]>(
          `update users set role = ?, authz_version = authz_version + 1, updated_at = now() where id = ? returning authz_version`,
          [input.role, userId],
        );
        for (const r of removed) {
          await em.execute(
            r.builtin
              ? 'delete from user_roles where user_id = ? and builtin = ?'
              : 'delete from user_roles where user_id = ? and role_id = ?',
            [userId, r.builtin ?? r.role_id],
          );
        }
        for (const r of added) {
          await em.execute(
            'insert into user_roles (tenant_id, user_id, builtin, role_id) values (?, ?, ?, ?)',
            [tenantId, userId, r.builtin, r.role_id],
          );
        }
        await this.authz.invalidate([{ userId, version: bumped!.authz_version }]);
        const previousRole = user.role;
        const had = new Set(view(user, before).permissions);
        user.role = input.role;
        await this.audit.record(
          {
            action: 'user.roles_change',
            outcome: 'success',
            tenantId,
            ...principalAudit(p),
            target: { type: 'user', id: userId },
            riskTier: 3,
            params: {
              ...(previousRole !== input.role
                ? { role: { from: previousRole, to: input.role } }
                : {}),
              ...(added.length ? { added: added.map((r) => r.name) } : {}),
              ...(removed.length ? { removed: removed.map((r) => r.name) } : {}),
            },
          },
          em,
        );
        const now = view(user, wanted);
        elevated = now.permissions.some((x) => !had.has(x) && isPermission(x) && tierOf(x) >= 3);
        return now;
      }),
    );
    // Newly privileged: sessions from a login that did not need a second factor end now,
    // so the next login meets the MFA rules of the new role (after the commit).
    if (elevated) await this.events.publish({ type: 'user.elevated', tenantId, userId });
    return result;
  }

  /** Task roles the user holds now, with their permissions. */
  private async held(em: EntityManager, userId: string): Promise<HeldRole[]> {
    const rows = await em.execute<HeldRole[]>(
      `select ur.builtin, ur.role_id, coalesce(ur.builtin, r.name) as name, coalesce(r.permissions, '{}') as permissions
         from user_roles ur left join roles r on r.id = ur.role_id
        where ur.user_id = ? order by ur.created_at`,
      [userId],
    );
    return rows.map((r) =>
      r.builtin && isBuiltinTaskRole(r.builtin)
        ? { ...r, permissions: [...BUILTIN_TASK_ROLES[r.builtin].permissions] }
        : r,
    );
  }

  /** Names → built-in task roles or custom roles of this tenant (RLS: only this tenant's are visible). */
  private async resolve(em: EntityManager, names: string[]): Promise<HeldRole[]> {
    const custom = names.filter((n) => !isBuiltinTaskRole(n));
    const rows = custom.length
      ? await em.execute<{ id: string; name: string; permissions: string[] }[]>(
          'select id, name, permissions from roles where name in (select jsonb_array_elements_text(?::jsonb))',
          [JSON.stringify(custom)],
        )
      : [];
    const unknown = custom.filter((n) => !rows.some((r) => r.name === n));
    if (unknown.length) throw RbacErrors.unknownRoles(unknown);
    return names.map((n) => {
      if (isBuiltinTaskRole(n))
        return {
          builtin: n,
          role_id: null,
          name: n,
          permissions: [...BUILTIN_TASK_ROLES[n].permissions],
        };
      const r = rows.find((x) => x.name === n)!;
      return { builtin: null, role_id: r.id, name: r.name, permissions: r.permissions };
    });
  }
}

function view(user: User, roles: HeldRole[]): UserRolesDto {
  const taskRoles: TaskRoleRefDto[] = roles.map((r) => ({
    name: r.name,
    id: r.role_id,
    builtin: r.builtin !== null,
  }));
  const customPermissions = roles.filter((r) => !r.builtin).flatMap((r) => r.permissions);
  return {
    userId: user.id,
    tenantId: user.tenantId,
    role: user.role,
    taskRoles,
    permissions: [
      ...effectivePermissions(
        user.role,
        roles.filter((r) => r.builtin).map((r) => r.builtin!),
        customPermissions,
      ),
    ].sort(),
  };
}
