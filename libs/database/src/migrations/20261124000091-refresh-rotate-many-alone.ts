import { Migration } from '@mikro-orm/migrations';

/**
 * refresh_rotate_many() refuses to run inside a transaction that has a tenant set: its items
 * set their own tenants (several per group), which would switch the tenant of the rest of
 * such a transaction. The same rule app_enter_tenant() (20261124000090) applies to the
 * single-tenant statements. Otherwise unchanged (20261124000072).
 */
export class Migration20261124000091RefreshRotateManyAlone extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function refresh_rotate_many(p_items jsonb, p_grace_s int)
      returns table (ord int, outcome text, reason text, tenant_id uuid, session_id uuid, token_id uuid,
                     user_id uuid, amr text[], acr text, auth_time timestamptz, expires_in int)
      language plpgsql security invoker set search_path = public, pg_temp as $$
      declare
        v_item jsonb;
        v_ord int := 0;
        v_audit jsonb := '[]';
        f record;
        x record;
      begin
        -- Each item sets its own tenant: never inside a transaction that has one (it would
        -- switch the tenant of the rest of that transaction), as app_enter_tenant() refuses.
        if coalesce(current_setting('app.tenant_id', true), '') <> '' then
          raise exception 'refresh_rotate_many runs on its own, not in a tenant transaction' using errcode = '42501';
        end if;
        for v_item in select e from jsonb_array_elements(p_items) as a(e) loop
          v_ord := v_ord + 1;
          select l.id, l.tenant_id, l.session_id into f from lookup_refresh_token(v_item->>'d') l;
          if not found then
            return query select v_ord, 'unknown'::text, null::text, null::uuid, null::uuid, null::uuid,
              null::uuid, null::text[], null::text, null::timestamptz, null::int;
            continue;
          end if;
          select * into x from refresh_rotate_item(f.tenant_id, f.id, f.session_id, v_item->>'n', p_grace_s, v_item->'c');
          v_audit := v_audit || jsonb_build_array(x.audit);
          return query select v_ord, x.outcome, x.reason, f.tenant_id, f.session_id, f.id,
              x.user_id, x.amr, x.acr, x.auth_time, x.expires_in;
        end loop;
        -- The group's audit rows, in this statement's transaction. Items of several tenants
        -- share it: each item set its own tenant; the rows carry theirs (checked by lookup).
        perform set_config('app.tenant_id', '', true);
        perform audit_append_many(v_audit);
      end $$`);
  }
}
