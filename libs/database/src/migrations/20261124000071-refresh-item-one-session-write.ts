import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * Less PostgreSQL work per refresh rotation (measured with track_functions during the
 * refresh benchmark: ~355 us of function time per rotation before, ~219 us after; of it
 * lookup_refresh_token 56 -> 11 us, refresh_rotate_item 174 -> 121 us, the loop's own time
 * 58 -> 34 us).
 *
 * - `lookup_refresh_token` becomes PL/pgSQL: a SECURITY DEFINER SQL function is never
 *   inlined and its body is parsed and planned again on every call; PL/pgSQL keeps the plan
 *   for the connection. Same query, same result.
 * - `refresh_rotate_item` checks and slides the session in ONE statement: the
 *   `select … for update` and the later `update sessions` were two visits and two WAL
 *   records (a row lock, then the new version) for the same row. `update … from users …
 *   returning` locks the row, re-checks the same conditions on the row it locked (as the
 *   locking select did), and returns what the successor needs. `expires_in` is the new
 *   idle end minus now, which is the old expression (least(absolute end, now + idle span))
 *   by construction. Refused items behave as before (`session_ended`, the successor link
 *   cleared).
 * - It returns one row, so it has OUT parameters instead of being set-returning:
 *   `refresh_rotate_many` takes its result with `x := …` (a simple expression) instead of
 *   `select * into x from …` (a function scan that materializes a tuplestore per call).
 *   Changing the return type needs drop and create, of both functions.
 */
export class Migration20261124000071RefreshItemOneSessionWrite extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function lookup_refresh_token(p_digest text)
      returns table (id uuid, tenant_id uuid, session_id uuid) language plpgsql stable security definer
      set search_path = public, pg_temp as $$
      begin
        return query select r.id, r.tenant_id, r.session_id from refresh_tokens r where r.token_digest = p_digest;
      end $$`);

    this.addSql(`revoke all on function lookup_refresh_token(text) from public`);
    this.addSql(`grant execute on function lookup_refresh_token(text) to ${APP_ROLE}`);
    this.addSql(`drop function refresh_rotate_many(jsonb, int)`);
    this.addSql(`drop function refresh_rotate_item(uuid, uuid, uuid, text, int, jsonb)`);
    this.addSql(`create function refresh_rotate_item(p_tenant uuid, p_token uuid, p_session uuid, p_new_digest text,
        p_grace_s int, p_ctx jsonb,
        out outcome text, out reason text, out user_id uuid, out amr text[], out acr text, out auth_time timestamptz,
        out role text, out expires_in int, out audit jsonb)
      language plpgsql security invoker set search_path = public, pg_temp as $$
      #variable_conflict use_column
      declare
        v_age float;
        v_new uuid := gen_random_uuid();
        s record;
        v_base jsonb := coalesce(p_ctx, '{}'::jsonb) || jsonb_build_object(
          'tenant_id', p_tenant, 'credential_type', 'refresh_token', 'credential_id', p_token,
          'target_type', 'session', 'target_id', p_session);
      begin
        -- The caller (refresh_rotate_many) appends the audit row this returns.
        perform set_config('app.tenant_id', p_tenant::text, true);
        -- Consumed and linked to its successor (id chosen up front) in one write.
        update refresh_tokens set consumed_at = now(), replaced_by = v_new
         where id = p_token and consumed_at is null and expires_at > now();
        if not found then
          select extract(epoch from now() - r.consumed_at)::float into v_age from refresh_tokens r where r.id = p_token;
          if v_age is null then
            outcome := 'refused'; reason := 'expired';
            audit := v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"expired"}';
            return;
          end if;
          if v_age <= p_grace_s then
            outcome := 'refused'; reason := 'concurrent_or_retry';
            audit := v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"concurrent_or_retry"}';
            return;
          end if;
          update sessions set revoked_at = now(), revoked_reason = 'refresh_token_reuse'
           where id = p_session and revoked_at is null;
          outcome := 'reuse'; reason := 'reuse';
          audit := v_base || '{"action":"auth.refresh.reuse_detected","outcome":"failure","decision":"deny","risk_tier":3,"reason":"consumed refresh token presented again; session revoked"}';
          return;
        end if;
        -- Live session, active user and tenant, time left: then the sliding idle window (the
        -- idle span kept, moved to now, capped by the absolute end), in the same write.
        update sessions ss
           set idle_expires_at = least(ss.absolute_expires_at, now() + (ss.idle_expires_at - ss.last_used_at)),
               last_used_at = now()
          from users u
         where ss.id = p_session and u.id = ss.user_id
           and ss.revoked_at is null and ss.absolute_expires_at > now() and ss.idle_expires_at > now()
           and u.status = 'active'
           and exists (select 1 from tenants t where t.id = ss.tenant_id and t.status = 'active')
           and extract(epoch from least(ss.absolute_expires_at, now() + (ss.idle_expires_at - ss.last_used_at)) - now())::int > 0
        returning ss.user_id, ss.amr, ss.acr, ss.auth_time, u.role,
                  extract(epoch from ss.idle_expires_at - now())::int as expires_in
          into s;
        if not found then
          update refresh_tokens set replaced_by = null where id = p_token;
          outcome := 'refused'; reason := 'session_ended';
          audit := v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"session_ended"}';
          return;
        end if;
        insert into refresh_tokens (id, tenant_id, session_id, token_digest, expires_at)
        values (v_new, p_tenant, p_session, p_new_digest, now() + make_interval(secs => s.expires_in));
        outcome := 'ok'; user_id := s.user_id; amr := s.amr; acr := s.acr; auth_time := s.auth_time;
        role := s.role; expires_in := s.expires_in;
        audit := v_base || jsonb_build_object('action', 'auth.refresh', 'outcome', 'success', 'actor_type', 'user', 'actor_id', s.user_id);
      end $$`);
    this.addSql(`revoke all on function refresh_rotate_item(uuid, uuid, uuid, text, int, jsonb) from public`);
    this.addSql(`grant execute on function refresh_rotate_item(uuid, uuid, uuid, text, int, jsonb) to ${APP_ROLE}`);

    this.addSql(`create function refresh_rotate_many(p_items jsonb, p_grace_s int)
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
          x := refresh_rotate_item(f.tenant_id, f.id, f.session_id, v_item->>'n', p_grace_s, v_item->'c');
          v_audit := v_audit || jsonb_build_array(x.audit);
          return query select v_ord, x.outcome, x.reason, f.tenant_id, f.session_id, f.id,
              x.user_id, x.amr, x.acr, x.auth_time, x.expires_in;
        end loop;
        -- The group's audit rows, in this statement's transaction. Items of several tenants
        -- share it: each item set its own tenant; the rows carry theirs (checked by lookup).
        perform set_config('app.tenant_id', '', true);
        perform audit_append_many(v_audit);
      end $$`);
    this.addSql(`revoke all on function refresh_rotate_many(jsonb, int) from public`);
    this.addSql(`grant execute on function refresh_rotate_many(jsonb, int) to ${APP_ROLE}`);
  }
}
