import { APP_ROLE, OWNER_ROLE } from './roles';

export type Privilege = 'select' | 'insert' | 'update' | 'delete';

export interface TenantTableOptions {
  /** What the application role may do (RLS still filters it). Default: all four. */
  privileges?: Privilege[];
  /** SQL predicate a row must satisfy for the current tenant. Default: `tenant_id = app_current_tenant()`. */
  predicate?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * The one way a migration makes a table tenant-owned: RLS enabled AND forced, a policy
 * for the application role on the tenant, read-only visibility for the owner (operator
 * tools and the SECURITY DEFINER lookups), and the grants. A schema test fails when a
 * table with a tenant_id column is missing any of this.
 */
export function tenantTableSql(table: string, options: TenantTableOptions = {}): string[] {
  if (!IDENT.test(table)) throw new Error(`invalid table name ${table}`);
  const privileges = options.privileges ?? ['select', 'insert', 'update', 'delete'];
  const predicate = options.predicate ?? 'tenant_id = app_current_tenant()';
  return [
    `alter table "${table}" enable row level security`,
    `alter table "${table}" force row level security`,
    `create policy "${table}_tenant_isolation" on "${table}" as permissive for all to ${APP_ROLE} using (${predicate}) with check (${predicate})`,
    `create policy "${table}_owner_read" on "${table}" as permissive for select to ${OWNER_ROLE} using (true)`,
    `revoke all on "${table}" from public`,
    `grant ${privileges.join(', ')} on "${table}" to ${APP_ROLE}`,
  ];
}
