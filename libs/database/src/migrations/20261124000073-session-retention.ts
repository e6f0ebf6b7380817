import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE, OWNER_ROLE } from '../roles';

/**
 * Retention of ended sessions. Every refresh leaves its consumed token behind (kept for
 * reuse detection while the session lives), so without a purge `refresh_tokens` grows by
 * one row per refresh forever. `purge_ended_sessions(retention, batch)` deletes up to
 * `batch` sessions that ended — revoked, or past their idle or absolute end — more than
 * `retention` seconds ago, with their refresh tokens (foreign key cascade), and returns
 * how many per tenant (for the audit rows). Live sessions and their token chains are never
 * touched, so reuse detection is unchanged for every session that can still be used.
 *
 * SECURITY DEFINER because it works across tenants (a maintenance job, not a request);
 * it decides nothing from its caller but the two numbers. The owner role may only read
 * tenant tables (rls.ts); this adds the one write it needs, as narrow as the purge: delete
 * on `sessions`, of sessions that have ended. Their refresh tokens go by the foreign key's
 * cascade (referential actions are not subject to row security). Two passes at once are
 * harmless: a row the other pass deleted first is not deleted twice (no `for update`,
 * which row security would filter out: the owner has no update policy, on purpose). No index on
 * the end time on purpose: `idle_expires_at` moves on every refresh, and indexing it would
 * make each refresh's session update a non-HOT update; an hourly scan of `sessions` (not
 * of `refresh_tokens`) is the cheaper side.
 */
export class Migration20261124000073SessionRetention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create policy "sessions_owner_purge" on sessions as permissive for delete to ${OWNER_ROLE}
      using (coalesce(revoked_at, least(absolute_expires_at, idle_expires_at)) < now())`);
    this.addSql(`create function purge_ended_sessions(p_retention_s int, p_batch int)
      returns table (tenant_id uuid, deleted int) language plpgsql security definer
      set search_path = public, pg_temp as $$
      #variable_conflict use_column
      begin
        if p_retention_s is null or p_retention_s < 0 or p_batch is null or p_batch < 1 or p_batch > 100000 then
          raise exception 'purge_ended_sessions: retention >= 0 s and batch 1..100000' using errcode = '22023';
        end if;
        return query
          with doomed as (
            select s.id from sessions s
             where coalesce(s.revoked_at, least(s.absolute_expires_at, s.idle_expires_at)) < now() - make_interval(secs => p_retention_s)
             limit p_batch
          ), gone as (
            delete from sessions s using doomed d where s.id = d.id returning s.tenant_id
          )
          select g.tenant_id, count(*)::int from gone g group by g.tenant_id;
      end $$`);
    this.addSql(`revoke all on function purge_ended_sessions(int, int) from public`);
    this.addSql(`grant execute on function purge_ended_sessions(int, int) to ${APP_ROLE}`);
  }
}
