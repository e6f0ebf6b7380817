import { Migration } from '@mikro-orm/migrations';

/**
 * refresh_rotate() writes the presented token once instead of twice: the successor's id is
 * chosen up front, so consuming the token and linking it to its successor (`replaced_by`)
 * is one UPDATE (the second UPDATE of the same row was a second heap tuple and WAL record
 * per rotation). When the session check then refuses, the link is cleared again (no
 * successor was written). Otherwise the function is unchanged (20261123000023).
 */
export class Migration20261124000071RefreshRotateOneWrite extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function refresh_rotate(p_tenant uuid, p_token uuid, p_session uuid, p_new_digest text,
        p_grace_s int, p_ctx jsonb)
      returns table (outcome text, reason text, user_id uuid, amr text[], acr text, auth_time timestamptz,
                     role text, expires_in int)
      language plpgsql security invoker set search_path = public, pg_temp as $$
      declare
        v_age float;
        v_new uuid := gen_random_uuid();
        s record;
        v_base jsonb := coalesce(p_ctx, '{}'::jsonb) || jsonb_build_object(
          'tenant_id', p_tenant, 'credential_type', 'refresh_token', 'credential_id', p_token,
          'target_type', 'session', 'target_id', p_session);
      begin
        perform set_config('app.tenant_id', p_tenant::text, true);
        -- Consumed and linked to its successor (id chosen up front) in one write.
        update refresh_tokens set consumed_at = now(), replaced_by = v_new
         where id = p_token and consumed_at is null and expires_at > now();
        if not found then
          select extract(epoch from now() - r.consumed_at)::float into v_age from refresh_tokens r where r.id = p_token;
          if v_age is null then
            perform audit_append(v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"expired"}');
            return query select 'refused'::text, 'expired'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int;
            return;
          end if;
          if v_age <= p_grace_s then
            perform audit_append(v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"concurrent_or_retry"}');
            return query select 'refused'::text, 'concurrent_or_retry'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int;
            return;
          end if;
          update sessions set revoked_at = now(), revoked_reason = 'refresh_token_reuse'
           where id = p_session and revoked_at is null;
          perform audit_append(v_base || '{"action":"auth.refresh.reuse_detected","outcome":"failure","decision":"deny","risk_tier":3,"reason":"consumed refresh token presented again; session revoked"}');
          return query select 'reuse'::text, 'reuse'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int;
          return;
        end if;
        select ss.id, ss.user_id, ss.amr, ss.acr, ss.auth_time, u.role,
               extract(epoch from least(ss.absolute_expires_at, now() + (ss.idle_expires_at - ss.last_used_at)) - now())::int as expires_in
          into s
          from sessions ss join users u on u.id = ss.user_id
         where ss.id = p_session and ss.revoked_at is null and ss.absolute_expires_at > now() and ss.idle_expires_at > now()
           and u.status = 'active'
           and exists (select 1 from tenants t where t.id = ss.tenant_id and t.status = 'active')
         for update of ss;
        if not found or s.expires_in <= 0 then
          update refresh_tokens set replaced_by = null where id = p_token;
          perform audit_append(v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"session_ended"}');
          return query select 'refused'::text, 'session_ended'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int;
          return;
        end if;
        insert into refresh_tokens (id, tenant_id, session_id, token_digest, expires_at)
        values (v_new, p_tenant, p_session, p_new_digest, now() + make_interval(secs => s.expires_in));
        -- Sliding idle window: the idle span is kept, moved to now (capped by the absolute end).
        update sessions set idle_expires_at = least(absolute_expires_at, now() + (idle_expires_at - last_used_at)),
               last_used_at = now() where id = p_session;
        perform audit_append(v_base || jsonb_build_object('action', 'auth.refresh', 'outcome', 'success',
          'actor_type', 'user', 'actor_id', s.user_id));
        return query select 'ok'::text, null::text, s.user_id, s.amr, s.acr, s.auth_time, s.role, s.expires_in;
      end $$`);
  }
}
