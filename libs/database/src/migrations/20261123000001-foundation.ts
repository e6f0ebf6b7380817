import { Migration } from '@mikro-orm/migrations';
import { tenantTableSql } from '../rls';
import { APP_ROLE, OWNER_ROLE } from '../roles';

/**
 * Foundation: the tenant function RLS policies use, the tenant tree, the pre-tenant
 * lookup path, and the append-only, hash-chained audit trail.
 */
export class Migration20261123000001Foundation extends Migration {
  override async up(): Promise<void> {
    // No tenant set (or set to '' after a transaction ended) means NULL, which matches no row.
    this.addSql(`create function app_current_tenant() returns uuid language sql stable parallel safe as $$
      select nullif(current_setting('app.tenant_id', true), '')::uuid $$`);
    this.addSql(`revoke all on function app_current_tenant() from public`);
    this.addSql(`grant execute on function app_current_tenant() to ${APP_ROLE}`);

    // ---- tenants: a tree. `path` = ancestors then self, maintained by trigger; a tenant
    // sees itself and its descendants (domain admins act down the tree, never up).
    this.addSql(`create table tenants (
      id uuid primary key default gen_random_uuid(),
      parent_id uuid references tenants(id) on delete restrict,
      path uuid[] not null,
      slug text not null,
      name text not null check (char_length(name) between 1 and 200),
      status text not null default 'pending' check (status in ('pending', 'active', 'suspended')),
      settings jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint tenants_slug_format check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
      constraint tenants_no_self_parent check (parent_id is null or parent_id <> id)
    )`);
    this.addSql(`create unique index tenants_slug_key on tenants (slug)`);
    this.addSql(`create index tenants_parent_idx on tenants (parent_id)`);
    this.addSql(`create index tenants_path_idx on tenants using gin (path)`);
    this.addSql(`create function tenants_set_path() returns trigger language plpgsql as $$
      declare parent_path uuid[];
      begin
        if tg_op = 'UPDATE' then
          if new.parent_id is distinct from old.parent_id or new.id <> old.id then
            raise exception 'a tenant cannot be moved' using errcode = '42501';
          end if;
          new.path := old.path;
          new.updated_at := now();
          return new;
        end if;
        if new.parent_id is null then
          new.path := array[new.id];
        else
          -- Runs as the caller: an invisible (other-tree) parent yields NULL and the insert fails.
          select path into parent_path from tenants where id = new.parent_id;
          if parent_path is null then
            raise exception 'parent tenant not found' using errcode = '23503';
          end if;
          new.path := parent_path || new.id;
        end if;
        return new;
      end $$`);
    this.addSql(`create trigger tenants_path before insert or update on tenants
      for each row execute function tenants_set_path()`);
    for (const sql of tenantTableSql('tenants', {
      predicate: 'app_current_tenant() = any(path)',
      privileges: ['select', 'insert', 'update'],
    })) {
      this.addSql(sql);
    }

    // ---- pre-tenant lookups: the one narrow path that runs before a tenant is known.
    // SECURITY DEFINER (as the owner, which may read all rows), returning only what the
    // caller needs to pick a tenant. Every such function is listed in the database README.
    this.addSql(`create function lookup_tenant_by_slug(p_slug text)
      returns table (id uuid, status text) language sql stable security definer
      set search_path = public, pg_temp as $$
        select t.id, t.status from tenants t where t.slug = lower(p_slug) $$`);
    this.addSql(`revoke all on function lookup_tenant_by_slug(text) from public`);
    this.addSql(`grant execute on function lookup_tenant_by_slug(text) to ${APP_ROLE}`);

    // ---- audit: append-only and hash-chained per tenant (NULL tenant = platform chain).
    this.addSql(`create table audit_events (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid references tenants(id) on delete restrict,
      seq bigint not null,
      occurred_at timestamptz not null,
      actor_type text not null,
      actor_id text,
      credential_type text,
      credential_id text,
      credential_test boolean not null default false,
      action text not null,
      target_type text,
      target_id text,
      route text,
      method text,
      ip inet,
      user_agent text,
      request_id text,
      params jsonb not null default '{}'::jsonb,
      risk_tier smallint check (risk_tier between 1 and 4),
      decision text not null check (decision in ('allow', 'deny')),
      outcome text not null check (outcome in ('success', 'failure')),
      reason text,
      prev_hash text,
      hash text not null
    )`);
    this.addSql(`create unique index audit_events_chain_key on audit_events
      ((coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)), seq)`);
    this.addSql(`create index audit_events_tenant_time_idx on audit_events (tenant_id, occurred_at desc, id)`);
    this.addSql(`create index audit_events_action_idx on audit_events (tenant_id, action)`);

    // The canonical form that is hashed. jsonb renders keys in a fixed order, so the same
    // row always yields the same text; verify recomputes it with this same function.
    this.addSql(`create function audit_payload(a audit_events) returns jsonb language sql stable as $$
      select jsonb_build_object(
        'id', a.id, 'tenant_id', a.tenant_id, 'seq', a.seq,
        'occurred_at', to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actor_type', a.actor_type, 'actor_id', a.actor_id,
        'credential_type', a.credential_type, 'credential_id', a.credential_id, 'credential_test', a.credential_test,
        'action', a.action, 'target_type', a.target_type, 'target_id', a.target_id,
        'route', a.route, 'method', a.method, 'ip', host(a.ip), 'user_agent', a.user_agent,
        'request_id', a.request_id, 'params', a.params, 'risk_tier', a.risk_tier,
        'decision', a.decision, 'outcome', a.outcome, 'reason', a.reason, 'prev_hash', a.prev_hash) $$`);
    this.addSql(`create function audit_hash(a audit_events) returns text language sql stable as $$
      select encode(sha256(convert_to(coalesce(a.prev_hash, '') || '|' || audit_payload(a)::text, 'UTF8')), 'hex') $$`);

    // The only write path for the application role. Serialises appends per chain with a
    // transaction-scoped advisory lock (held until the caller's transaction ends, so the
    // row is written in the same transaction as the change it records).
    this.addSql(`create function audit_append(e jsonb) returns uuid language plpgsql security definer
      set search_path = public, pg_temp as $$
      declare
        r audit_events;
        v_current uuid := app_current_tenant();
        v_key uuid;
      begin
        r.tenant_id := nullif(e->>'tenant_id', '')::uuid;
        if v_current is not null and r.tenant_id is distinct from v_current then
          raise exception 'audit row for another tenant' using errcode = '42501';
        end if;
        v_key := coalesce(r.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid);
        perform pg_advisory_xact_lock(hashtextextended('tessera.audit:' || v_key::text, 0));
        select a.seq, a.hash into r.seq, r.prev_hash from audit_events a
          where coalesce(a.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) = v_key
          order by a.seq desc limit 1;
        r.seq := coalesce(r.seq, 0) + 1;
        r.id := gen_random_uuid();
        r.occurred_at := date_trunc('microseconds', clock_timestamp());
        r.actor_type := coalesce(e->>'actor_type', 'anonymous');
        r.actor_id := e->>'actor_id';
        r.credential_type := e->>'credential_type';
        r.credential_id := e->>'credential_id';
        r.credential_test := coalesce((e->>'credential_test')::boolean, false);
        r.action := e->>'action';
        r.target_type := e->>'target_type';
        r.target_id := e->>'target_id';
        r.route := e->>'route';
        r.method := e->>'method';
        r.ip := nullif(e->>'ip', '')::inet;
        r.user_agent := left(e->>'user_agent', 512);
        r.request_id := e->>'request_id';
        r.params := coalesce(e->'params', '{}'::jsonb);
        r.risk_tier := (e->>'risk_tier')::smallint;
        r.decision := coalesce(e->>'decision', 'allow');
        r.outcome := coalesce(e->>'outcome', 'success');
        r.reason := e->>'reason';
        r.hash := audit_hash(r);
        insert into audit_events select r.*;
        return r.id;
      end $$`);
    this.addSql(`revoke all on function audit_append(jsonb) from public`);
    this.addSql(`grant execute on function audit_append(jsonb) to ${APP_ROLE}`);

    // The application role reads its tenant's rows and appends through audit_append only:
    // no INSERT, UPDATE, DELETE or TRUNCATE of its own.
    for (const sql of tenantTableSql('audit_events', { privileges: ['select'] })) this.addSql(sql);
    // The definer function runs as the owner, which FORCE RLS also binds: let it append.
    this.addSql(`create policy audit_events_owner_append on audit_events for insert to ${OWNER_ROLE} with check (true)`);
  }
}
