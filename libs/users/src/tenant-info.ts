import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantSettings } from '@tessera/tenants';
import { emailDomain } from './email';

/** What user flows need of a tenant: its name (mail, password policy), status and settings. */
export interface TenantInfo {
  id: string;
  name: string;
  status: 'pending' | 'active' | 'suspended';
  settings: TenantSettings;
}

/**
 * Reads a tenant inside the caller's transaction. Plain SQL rather than the Tenant entity,
 * so this module does not depend on @tessera/tenants at run time (only on its types).
 */
export async function readTenant(em: EntityManager, tenantId: string): Promise<TenantInfo | null> {
  const [row] = await em.execute<
    { id: string; name: string; status: TenantInfo['status']; settings: TenantSettings | null }[]
  >('select id, name, status, settings from tenants where id = ?', [tenantId]);
  return row
    ? { id: row.id, name: row.name, status: row.status, settings: row.settings ?? {} }
    : null;
}

/**
 * `settings.allowedEmailDomains`, when set and non-empty, lists the only domains a user of
 * the tenant may have. Exact match on the normalised domain: a subdomain must be listed itself.
 */
export function isEmailDomainAllowed(settings: TenantSettings, email: string): boolean {
  const allowed = settings.allowedEmailDomains;
  if (!Array.isArray(allowed) || allowed.length === 0) return true;
  const domain = emailDomain(email);
  return allowed.some(
    (d) => typeof d === 'string' && d.normalize('NFKC').trim().toLowerCase() === domain,
  );
}
