import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * Less PostgreSQL work per refresh rotation (measured with track_functions during the
 * refresh benchmark: ~355 us of function time per rotation, of which lookup_refresh_token
 * 56 us and refresh_rotate_item 174 us).
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
 */
export class Migration20261124000071RefreshItemOneSessionWrite extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function lookup_refresh_token(p_digest text)
      returns table (id uuid, tenant_id uuid, session_id uuid) language plpgsql stable security definer
      set search_path = public, pg_temp as $$
      begin
        return query select r.id, r.tenant_id, r.session_id from refresh_tokens r where r.token_digest = p_digest;
      end $$`);

    this.addSql(`create or replace function refresh_rotate_item(p_tenant uuid, p_token uuid, p_session uuid, p_new_digest text,
        p_grace_s int, p_ctx jsonb)
      returns table (outcome text, reason text, user_id uuid, amr text[], acr text, auth_time timestamptz,
                     role text, expires_in int, audit jsonb)
      language plpgsql security invoker set search_path = public, pg_temp as $$
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
            return query select 'refused'::text, 'expired'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int,
              v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"expired"}';
            return;
          end if;
          if v_age <= p_grace_s then
            return query select 'refused'::text, 'concurrent_or_retry'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int,
              v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"concurrent_or_retry"}';
            return;
          end if;
          update sessions set revoked_at = now(), revoked_reason = 'refresh_token_reuse'
           where id = p_session and revoked_at is null;
          return query select 'reuse'::text, 'reuse'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int,
            v_base || '{"action":"auth.refresh.reuse_detected","outcome":"failure","decision":"deny","risk_tier":3,"reason":"consumed refresh token presented again; session revoked"}';
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
          return query select 'refused'::text, 'session_ended'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int,
            v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"session_ended"}';
          return;
        end if;
        insert into refresh_tokens (id, tenant_id, session_id, token_digest, expires_at)
        values (v_new, p_tenant, p_session, p_new_digest, now() + make_interval(secs => s.expires_in));
        return query select 'ok'::text, null::text, s.user_id, s.amr, s.acr, s.auth_time, s.role, s.expires_in,
          v_base || jsonb_build_object('action', 'auth.refresh', 'outcome', 'success',
          'actor_type', 'user', 'actor_id', s.user_id);
      end $$`);
    this.addSql(`revoke all on function lookup_refresh_token(text) from public`);
    this.addSql(`grant execute on function lookup_refresh_token(text) to ${APP_ROLE}`);
  }
}
