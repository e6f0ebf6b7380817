import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

export interface TenantRef {
  id: string;
  status: string;
}

/**
 * The narrow, named path for the lookups that must happen before the tenant is known
 * (DESIGN.md). Each method calls one SECURITY DEFINER function that returns only the
 * identifiers needed to choose a tenant; everything after runs inside TenantDb.withTenant.
 * Later modules add their lookups here (user by email, API key by prefix, ...).
 */
@Injectable()
export class PreTenantLookup {
  constructor(private readonly orm: MikroORM) {}

  async tenantBySlug(slug: string): Promise<TenantRef | null> {
    const rows = await this.orm.em
      .fork()
      .execute<TenantRef[]>('select id, status from lookup_tenant_by_slug(?)', [slug]);
    return rows[0] ?? null;
  }
}
