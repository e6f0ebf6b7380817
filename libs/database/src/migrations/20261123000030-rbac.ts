import { Migration } from '@mikro-orm/migrations';
import { tenantTableSql } from '../rls';
import { APP_ROLE } from '../roles';

/**
 * Authorization: custom task roles per tenant, task-role assignments, and a per-user
 * `authz_version` that every role or permission change bumps, so cached authorization
 * (Redis) is replaced on the next request and a stale reader can never write an older
 * version over a newer one.
 */
export class Migration20261123000030Rbac extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table users add column authz_version bigint not null default 1`);

    this.addSql(`create table roles (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      name text not null check (name ~ '^[a-z][a-z0-9_-]{1,62}$'),
      description text not null default '' check (char_length(description) <= 500),
      permissions text[] not null check (cardinality(permissions) between 1 and 100),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (tenant_id, name),
      unique (id, tenant_id)
    )`);
    for (const sql of tenantTableSql('roles')) this.addSql(sql);

    this.addSql(`create table user_roles (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      builtin text,
      role_id uuid,
      created_at timestamptz not null default now(),
      check ((builtin is null) <> (role_id is null)),
      -- A custom role can only be held in the tenant that defines it.
      foreign key (role_id, tenant_id) references roles (id, tenant_id) on delete cascade,
      unique (user_id, builtin),
      unique (user_id, role_id)
    )`);
    this.addSql(`create index user_roles_role_idx on user_roles (role_id) where role_id is not null`);
    for (const sql of tenantTableSql('user_roles', { privileges: ['select', 'insert', 'delete'] })) this.addSql(sql);

    // Cache fill for the permission guard: one round trip, by ids proven by a verified
    // credential (same pattern as session_profile; listed in libs/database/README.md).
    this.addSql(`create function user_authz(p_user uuid, p_tenant uuid)
      returns table (role text, status text, version bigint, task_roles text[], custom_permissions text[])
      language sql stable security definer set search_path = public, pg_temp as $$
        select u.role, u.status, u.authz_version,
               coalesce((select array_agg(coalesce(ur.builtin, r.name) order by ur.created_at)
                           from user_roles ur left join roles r on r.id = ur.role_id where ur.user_id = u.id), '{}'),
               coalesce((select array_agg(distinct p)
                           from user_roles ur join roles r on r.id = ur.role_id, unnest(r.permissions) p
                          where ur.user_id = u.id), '{}')
          from users u
         where u.id = p_user and u.tenant_id = p_tenant $$`);
    this.addSql(`revoke all on function user_authz(uuid, uuid) from public`);
    this.addSql(`grant execute on function user_authz(uuid, uuid) to ${APP_ROLE}`);
  }
}
