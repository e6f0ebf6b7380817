import { Injectable } from '@nestjs/common';
import { isUuid, TenantDb } from '@tessera/database';
import { ProblemError, RequestContextStore } from '@tessera/http';
import { Principal } from './principal';
import { roleAtLeast } from './roles';

/**
 * Which tenant a caller may act in: its own; a domain admin also every descendant; a
 * system admin (member of the platform root, which every tenant descends from) anywhere.
 * The descendant check is PostgreSQL's: with the caller's tenant set, RLS on `tenants`
 * shows exactly the caller's subtree.
 */
@Injectable()
export class TenantAccess {
  constructor(private readonly db: TenantDb) {}

  async canActIn(principal: Principal, tenantId: string): Promise<boolean> {
    if (!isUuid(tenantId)) return false;
    if (tenantId === principal.tenantId) return true;
    if (!roleAtLeast(principal.role, 'domain_admin')) return false;
    // The guard and the service may both ask within one request: one query.
    const ctx = RequestContextStore.current();
    const memo = ctx?.tenantReach?.get(tenantId);
    if (memo !== undefined) return memo;
    const rows = await this.db.withTenant(principal.tenantId, (em) => em.execute('select 1 from tenants where id = ?', [tenantId]));
    const ok = rows.length > 0;
    if (ctx) (ctx.tenantReach ??= new Map()).set(tenantId, ok);
    return ok;
  }

  /** 403 when the caller may not act in the tenant (the tenant id came from the caller's own path). */
  async assertCanActIn(principal: Principal, tenantId: string): Promise<void> {
    if (!(await this.canActIn(principal, tenantId))) throw ProblemError.forbidden('You cannot act in this tenant.');
  }
}
