import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { ProblemError } from '@tessera/http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * One autocommit statement through the ORM's driver (pool, query formatting, error
 * conversion: what `em.fork().execute()` does), without forking an EntityManager for it: a
 * fork builds a unit of work, loaders and the rest, which a raw statement never uses
 * (measured: ~80 us of event-loop CPU per statement).
 */
export function runStatement<T>(orm: MikroORM, sql: string, params: unknown[]): Promise<T> {
  return orm.em.getDriver().execute<T & Record<string, unknown>[]>(sql, params as unknown[], 'all');
}

/**
 * The only way application code reaches tenant-owned rows: one transaction with the
 * tenant set through `set_config(..., true)` (transaction-local), so a pooled connection
 * never carries a tenant into the next request, and a forgotten WHERE clause still
 * cannot reach another tenant's rows (PostgreSQL's RLS filters them).
 */
@Injectable()
export class TenantDb {
  constructor(private readonly orm: MikroORM) {}

  async withTenant<T>(tenantId: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw ProblemError.notFound();
    const em = this.orm.em.fork({ clear: true });
    return em.transactional(async (tx) => {
      await tx.execute(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
      return fn(tx);
    });
  }

  /**
   * A transaction with no tenant: tenant-owned rows are invisible. For platform-level
   * work (platform audit chain, pre-tenant lookups through their SECURITY DEFINER functions).
   */
  async withoutTenant<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.orm.em.fork({ clear: true });
    return em.transactional(async (tx) => fn(tx));
  }

  /**
   * One statement on its own (autocommit: its own transaction, no tenant set), one round
   * trip instead of BEGIN, set_config, the statement and COMMIT. Only for calls of
   * - SECURITY DEFINER functions that decide from their own arguments what they may touch
   *   (the audit trail's audit_append): with no tenant set, tenant-owned rows stay invisible
   *   to anything else;
   * - SECURITY INVOKER functions that enter their tenant first (`app_enter_tenant`, local to
   *   this statement's transaction) and then run under RLS like withTenant would
   *   (login_account, mfa_account, session_start), or, with items of several tenants,
   *   enter each item's tenant in turn and refuse to run inside a tenant transaction
   *   (refresh_rotate_many).
   */
  async statement<T extends Record<string, unknown>[] = Record<string, unknown>[]>(sql: string, params: unknown[]): Promise<T> {
    return runStatement<T>(this.orm, sql, params);
  }

  /** A cheap liveness query for readiness checks. */
  async ping(): Promise<void> {
    await this.orm.em.fork().execute('select 1');
  }
}
