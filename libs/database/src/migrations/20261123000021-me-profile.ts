import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * GET /v1/me in one round trip: the profile of the user an access token names, read by id
 * AND tenant (both from the verified token), without opening a tenant transaction.
 */
export class Migration20261123000021MeProfile extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function session_profile(p_user uuid, p_tenant uuid)
      returns table (id uuid, email text, name text, status text, role text, verified boolean, tid uuid, slug text, tname text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select u.id, u.email, u.name, u.status, u.role, u.email_verified_at is not null, t.id, t.slug, t.name
          from users u join tenants t on t.id = u.tenant_id
         where u.id = p_user and u.tenant_id = p_tenant $$`);
    this.addSql(`revoke all on function session_profile(uuid, uuid) from public`);
    this.addSql(`grant execute on function session_profile(uuid, uuid) to ${APP_ROLE}`);
  }
}
