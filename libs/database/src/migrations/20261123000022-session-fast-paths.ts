import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * Single-statement reads on the hot login/refresh/`/v1/me` paths (a tenant transaction
 * costs BEGIN, set_config, the query and COMMIT: four round trips for one row). Each reads
 * by ids the caller already proved (a verified token, a password just checked).
 */
export class Migration20261123000022SessionFastPaths extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop function session_profile(uuid, uuid)`);
    this.addSql(`create function session_profile(p_user uuid, p_tenant uuid)
      returns table (id uuid, email text, name text, status text, role text, verified boolean,
                     tid uuid, slug text, tname text, tstatus text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select u.id, u.email, u.name, u.status, u.role, u.email_verified_at is not null,
               t.id, t.slug, t.name, t.status
          from users u join tenants t on t.id = u.tenant_id
         where u.id = p_user and u.tenant_id = p_tenant $$`);
    this.addSql(`create function session_is_live(p_session uuid, p_tenant uuid) returns boolean
      language sql stable security definer set search_path = public, pg_temp as $$
        select exists (select 1 from sessions s
                        where s.id = p_session and s.tenant_id = p_tenant and s.revoked_at is null) $$`);
    for (const fn of ['session_profile(uuid, uuid)', 'session_is_live(uuid, uuid)']) {
      this.addSql(`revoke all on function ${fn} from public`);
      this.addSql(`grant execute on function ${fn} to ${APP_ROLE}`);
    }
  }
}
