import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { isUuid } from '@tessera/database';

/**
 * Pre-tenant lookup of a user's tenant by user id (SECURITY DEFINER `lookup_user_tenant`,
 * migration 20261123000011-users). It returns the tenant id only; callers must then check
 * TenantAccess.canActIn and read the user inside TenantDb.withTenant. Belongs with
 * PreTenantLookup in @tessera/database; it lives here until that class gains it.
 */
@Injectable()
export class UserLookup {
  constructor(private readonly orm: MikroORM) {}

  async tenantOfUser(userId: string): Promise<string | null> {
    if (!isUuid(userId)) return null;
    const rows = await this.orm.em
      .fork()
      .execute<{ tenant_id: string }[]>('select tenant_id from lookup_user_tenant(?)', [userId]);
    return rows[0]?.tenant_id ?? null;
  }
}
