import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * Refresh-token rotation for a group of refresh requests in ONE statement (group commit):
 * concurrent refreshes on an instance go together, so N rotations share one round trip,
 * one transaction and one WAL flush instead of three round trips and a commit each (the
 * lookup by digest, refresh_rotate and the liveness re-check). Each item is exactly what a
 * single call did: the token is found by its HMAC digest (lookup_refresh_token, security
 * definer: the digest carries no tenant), then refresh_rotate() runs with that token's
 * tenant set — consume, reuse check, session check, successor, sliding window, audit row.
 * Two items presenting the same token: the first consumes it, the second is refused as a
 * concurrent retry, as two separate calls would be.
 *
 * p_items: [{ "d": presented digest, "n": successor's digest, "c": audit context }, ...].
 * One row per item, in order (`ord` = 1-based position); outcome 'unknown' = no such token
 * (not audited, as before: there is no tenant to audit it for).
 */
export class Migration20261124000070RefreshRotateMany extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function refresh_rotate_many(p_items jsonb, p_grace_s int)
      returns table (ord int, outcome text, reason text, tenant_id uuid, session_id uuid, token_id uuid,
                     user_id uuid, amr text[], acr text, auth_time timestamptz, expires_in int)
      language plpgsql security invoker set search_path = public, pg_temp as $$
      declare
        v_item jsonb;
        v_ord int := 0;
        f record;
      begin
        for v_item in select e from jsonb_array_elements(p_items) as a(e) loop
          v_ord := v_ord + 1;
          select l.id, l.tenant_id, l.session_id into f from lookup_refresh_token(v_item->>'d') l;
          if not found then
            return query select v_ord, 'unknown'::text, null::text, null::uuid, null::uuid, null::uuid,
              null::uuid, null::text[], null::text, null::timestamptz, null::int;
            continue;
          end if;
          return query select v_ord, x.outcome, x.reason, f.tenant_id, f.session_id, f.id,
              x.user_id, x.amr, x.acr, x.auth_time, x.expires_in
            from refresh_rotate(f.tenant_id, f.id, f.session_id, v_item->>'n', p_grace_s, v_item->'c') x;
        end loop;
      end $$`);
    this.addSql(`revoke all on function refresh_rotate_many(jsonb, int) from public`);
    this.addSql(`grant execute on function refresh_rotate_many(jsonb, int) to ${APP_ROLE}`);
    // The post-write liveness re-check it served is now the token cache's revocation
    // tombstone, checked atomically with the write (TokenCache.rememberForSession).
    this.addSql(`drop function session_is_live(uuid, uuid)`);
  }
}
