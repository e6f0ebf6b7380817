import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * Users: the pre-tenant lookup of a user's tenant by id. The admin API addresses users by
 * id alone (`/v1/users/:id`), and a domain admin may act on users of descendant tenants,
 * whose rows RLS hides while the caller's own tenant is set. This function returns only the
 * tenant id; the caller then checks TenantAccess.canActIn and works inside withTenant.
 */
export class Migration20261123000011Users extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function lookup_user_tenant(p_user_id uuid)
      returns table (tenant_id uuid) language sql stable security definer
      set search_path = public, pg_temp as $$
        select u.tenant_id from users u where u.id = p_user_id $$`);
    this.addSql(`revoke all on function lookup_user_tenant(uuid) from public`);
    this.addSql(`grant execute on function lookup_user_tenant(uuid) to ${APP_ROLE}`);
  }
}
