import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * Refresh rotations and audit rows written in groups.
 *
 * `audit_append_many(jsonb array)` chains every row of the array in one call: per chain key
 * (tenant) it locks the lane's head once, chains the rows in their order, moves the head
 * once, and all rows go in with one INSERT. Same rows, lanes, seq and hashes as one
 * audit_append per row (`audit verify` unchanged); measured ~75 instead of ~160 us of
 * PostgreSQL CPU per row in groups of 50. Rows of several tenants may share a call (each
 * tenant's keep their order; the lane is the transaction's, as before). `audit_append(e)`
 * becomes its one-row case, so the row-building code exists once.
 *
 * `refresh_rotate_many(items, grace)` rotates a group of refresh tokens in ONE statement
 * (group commit: concurrent refreshes on an instance share one round trip, one transaction
 * and one WAL flush instead of three round trips and a commit each — the lookup by digest,
 * refresh_rotate and the liveness re-check). Per item, in order: the token is found by its
 * HMAC digest (lookup_refresh_token, security definer: the digest carries no tenant), then
 * `refresh_rotate_item()` runs with that token's tenant set — consume, reuse check, session
 * check, successor, sliding window — and returns its audit row; the group's rows are
 * appended at the end with one audit_append_many call. Two items presenting the same token:
 * the first consumes it, the second is refused as a concurrent retry, as two calls would be.
 * Items set their own tenants, so the function refuses to run inside a transaction that has
 * one (it would switch the tenant of the rest of that transaction).
 * p_items: [{ "d": presented digest, "n": successor's digest, "c": audit context }, ...];
 * one row per item (`ord` = 1-based position); outcome 'unknown' = no such token (not
 * audited, as before: there is no tenant to audit it for).
 *
 * `refresh_rotate_item()` is refresh_rotate() (20261123000023) returning its audit row
 * instead of appending it, and writing the presented token once: the successor's id is
 * chosen up front, so consuming the token and linking it to its successor (`replaced_by`)
 * is one UPDATE; when the session check then refuses, the link is cleared again.
 * refresh_rotate() and session_is_live() have no caller left and are dropped: the
 * post-write liveness re-check is now the token cache's revocation tombstone, checked
 * atomically with the write (TokenCache.rememberForSession).
 */
export class Migration20261124000070RefreshRotateMany extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function audit_append_many(es jsonb) returns setof uuid language plpgsql security definer
      set search_path = public, pg_temp as $$
      declare
        r audit_events;
        e jsonb;
        v_rows audit_events[] := '{}';
        v_current uuid := app_current_tenant();
        v_lane smallint := abs(hashtextextended(txid_current()::text, 0) % audit_lanes());
        v_key uuid;
        v_open uuid;
        v_seq bigint;
        v_hash text;
      begin
        for e, v_key in
          select x.e, coalesce(nullif(x.e->>'tenant_id', '')::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
            from jsonb_array_elements(es) with ordinality as x(e, n)
           order by 2, x.n
        loop
          r := null;
          r.tenant_id := nullif(e->>'tenant_id', '')::uuid;
          if v_current is not null and r.tenant_id is distinct from v_current then
            raise exception 'audit row for another tenant' using errcode = '42501';
          end if;
          if v_open is distinct from v_key then
            if v_open is not null then
              update audit_chain_heads set seq = v_seq, hash = v_hash where chain_key = v_open and lane = v_lane;
            end if;
            select h.seq, h.hash into v_seq, v_hash from audit_chain_heads h where h.chain_key = v_key and h.lane = v_lane for update;
            if not found then
              insert into audit_chain_heads (chain_key, lane, seq, hash) values (v_key, v_lane, 0, null)
                on conflict (chain_key, lane) do nothing;
              select h.seq, h.hash into v_seq, v_hash from audit_chain_heads h where h.chain_key = v_key and h.lane = v_lane for update;
            end if;
            v_open := v_key;
          end if;
          r.lane := v_lane;
          r.seq := v_seq + 1;
          r.prev_hash := v_hash;
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
          v_seq := r.seq;
          v_hash := r.hash;
          v_rows := v_rows || r;
          return next r.id;
        end loop;
        if v_open is not null then
          update audit_chain_heads set seq = v_seq, hash = v_hash where chain_key = v_open and lane = v_lane;
          insert into audit_events select * from unnest(v_rows);
        end if;
      end $$`);
    this.addSql(`create or replace function audit_append(e jsonb) returns uuid language sql security definer
      set search_path = public, pg_temp as $$ select audit_append_many(jsonb_build_array(e)) limit 1 $$`);
    this.addSql(`revoke all on function audit_append_many(jsonb) from public`);
    this.addSql(`grant execute on function audit_append_many(jsonb) to ${APP_ROLE}`);

    this.addSql(`create function refresh_rotate_item(p_tenant uuid, p_token uuid, p_session uuid, p_new_digest text,
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
          return query select 'refused'::text, 'session_ended'::text, null::uuid, null::text[], null::text, null::timestamptz, null::text, null::int,
            v_base || '{"action":"auth.refresh","outcome":"failure","decision":"deny","reason":"session_ended"}';
          return;
        end if;
        insert into refresh_tokens (id, tenant_id, session_id, token_digest, expires_at)
        values (v_new, p_tenant, p_session, p_new_digest, now() + make_interval(secs => s.expires_in));
        -- Sliding idle window: the idle span is kept, moved to now (capped by the absolute end).
        update sessions set idle_expires_at = least(absolute_expires_at, now() + (idle_expires_at - last_used_at)),
               last_used_at = now() where id = p_session;
        return query select 'ok'::text, null::text, s.user_id, s.amr, s.acr, s.auth_time, s.role, s.expires_in,
          v_base || jsonb_build_object('action', 'auth.refresh', 'outcome', 'success',
          'actor_type', 'user', 'actor_id', s.user_id);
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
    this.addSql(`revoke all on function refresh_rotate_many(jsonb, int) from public`);
    this.addSql(`grant execute on function refresh_rotate_many(jsonb, int) to ${APP_ROLE}`);

    this.addSql(`drop function refresh_rotate(uuid, uuid, uuid, text, int, jsonb)`);
    this.addSql(`drop function session_is_live(uuid, uuid)`);
  }
}
