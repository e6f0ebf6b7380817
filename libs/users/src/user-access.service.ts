import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { GeneralRole, roleAtLeast, roleRank, TenantAccess } from '@tessera/auth';
import { isUuid, PLATFORM_TENANT_ID } from '@tessera/database';
import type { User } from './user.entity';
import { UserLookup } from './user-lookup.service';
import { UsersErrors } from './users.errors';
import { actorRole, auditActor, UsersActor } from './users-actor';

/**
 * Where an actor may act and on whom: tenant reach (TenantAccess), the role ceiling (nobody
 * manages a user above their own role) and the self-target rule. Refusals of reach are
 * audited as `access.denied` in the caller's own tenant.
 */
@Injectable()
export class UserAccess {
  constructor(
    private readonly tenantAccess: TenantAccess,
    private readonly lookup: UserLookup,
    private readonly audit: AuditService,
  ) {}

  /**
   * The tenant a collection operation (list, invite) runs in: the caller's own, or the
   * `?tenantId=` it passed if TenantAccess allows it (403 otherwise, never a silent fallback).
   * An operator must name the tenant.
   */
  async tenantFor(actor: UsersActor, requested?: string): Promise<string> {
    if (actor.kind === 'operator') {
      if (!requested || !isUuid(requested)) throw UsersErrors.tenantNotFound();
      return requested;
    }
    const own = actor.principal.tenantId;
    if (!requested || requested === own) return own;
    if (await this.tenantAccess.canActIn(actor.principal, requested)) return requested;
    await this.denied(actor, { type: 'tenant', id: requested }, 'tenant outside the caller reach');
    throw UsersErrors.tenantNotAllowed();
  }

  /**
   * The tenant of the user `userId`, if the actor may act in it. An unknown id and a user
   * out of reach are the same 404 (no probing for ids); the latter is audited.
   */
  async tenantOfUser(actor: UsersActor, userId: string): Promise<string> {
    const tenantId = isUuid(userId) ? await this.lookup.tenantOfUser(userId) : null;
    if (!tenantId) throw UsersErrors.notFound();
    if (actor.kind === 'operator' || (await this.tenantAccess.canActIn(actor.principal, tenantId)))
      return tenantId;
    await this.denied(
      actor,
      { type: 'user', id: userId },
      'user in a tenant outside the caller reach',
    );
    throw UsersErrors.notFound();
  }

  /** 403 when the target's role is above the actor's own (a tenant admin cannot touch a domain admin). */
  assertMayManage(actor: UsersActor, target: User): void {
    if (roleRank(target.role) > roleRank(actorRole(actor))) throw UsersErrors.targetRoleTooHigh();
  }

  /**
   * Whether the actor may give `role` to a user of `tenantId` (invitation or role change):
   * never above its own role; anything but `member` needs `roles:assign`; `system_admin`
   * needs the tier-4 `roles:assign_system_admin` and exists only in the platform tenant.
   * Throws the 403 to return (the caller audits it).
   */
  assertMayGrant(actor: UsersActor, role: GeneralRole, tenantId: string): void {
    if (roleRank(role) > roleRank(actorRole(actor))) throw UsersErrors.roleNotAllowed('You cannot grant a role above your own.');
    if (actor.kind === 'user' && role !== 'member' && !actor.principal.permissions.has('roles:assign')) {
      throw UsersErrors.roleNotAllowed('Granting a role needs the roles:assign permission.');
    }
    if (role === 'system_admin') {
      if (actor.kind === 'user' && !actor.principal.permissions.has('roles:assign_system_admin')) {
        throw UsersErrors.roleNotAllowed('Granting system_admin needs the roles:assign_system_admin permission.');
      }
      if (tenantId !== PLATFORM_TENANT_ID) throw UsersErrors.roleNotAllowed('The system_admin role exists only in the platform tenant.');
    }
  }

  /**
   * An active admin (tenant_admin or above) must not be the last active one of its tenant to
   * be disabled, deleted or demoted through the API. Serialised per tenant with an advisory
   * lock, so two admins removing each other concurrently cannot both pass. An operator at the
   * CLI is exempt: it is the way out when the only admin is compromised.
   */
  async assertNotLastAdmin(em: EntityManager, actor: UsersActor, user: User): Promise<void> {
    if (actor.kind === 'operator' || user.status !== 'active' || !roleAtLeast(user.role, 'tenant_admin')) return;
    await em.execute(`select pg_advisory_xact_lock(hashtextextended('tessera.tenant-admins:' || ?, 0))`, [user.tenantId]);
    const [row] = await em.execute<{ n: number }[]>(
      `select count(*)::int as n from users where tenant_id = ? and id <> ? and status = 'active' and role <> 'member'`,
      [user.tenantId, user.id],
    );
    if (!row || row.n === 0) throw UsersErrors.lastAdmin();
  }

  /** 409 when an API caller targets itself with disable or delete (it would lock itself out). */
  assertNotSelf(actor: UsersActor, target: User): void {
    if (actor.kind === 'user' && actor.principal.userId === target.id)
      throw UsersErrors.cannotTargetSelf();
  }

  private async denied(
    actor: UsersActor,
    target: { type: string; id: string },
    reason: string,
  ): Promise<void> {
    if (actor.kind !== 'user') return;
    await this.audit.record({
      action: 'access.denied',
      decision: 'deny',
      outcome: 'failure',
      tenantId: actor.principal.tenantId,
      ...auditActor(actor),
      target,
      reason,
    });
  }
}
