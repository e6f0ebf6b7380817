import type { TenantSettings, TenantStatus } from './tenant.entity';

/** A tenant as the service hands it out (no tree internals). */
export interface TenantRecord {
  id: string;
  parentId: string | null;
  slug: string;
  name: string;
  status: TenantStatus;
  settings: TenantSettings;
  createdAt: Date;
  updatedAt: Date;
}

export interface TenantPage {
  items: TenantRecord[];
  nextCursor: string | null;
}

/** Page request: `limit` 1..200 (default 50), `cursor` as returned by the previous page. */
export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface TenantRow {
  id: string;
  parent_id: string | null;
  slug: string;
  name: string;
  status: TenantStatus;
  settings: TenantSettings;
  created_at: string;
  updated_at: string;
}

const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * Columns every tenant query selects. Timestamps are rendered by PostgreSQL as ISO UTC
 * with microseconds (the driver returns raw strings): exact for cursors, parseable by Date.
 */
export const TENANT_COLUMNS = `id, parent_id, slug, name, status, settings,
  to_char(created_at at time zone 'UTC', ${ISO_UTC}) as created_at,
  to_char(updated_at at time zone 'UTC', ${ISO_UTC}) as updated_at`;

export function toTenantRecord(row: TenantRow): TenantRecord {
  return {
    id: row.id,
    parentId: row.parent_id,
    slug: row.slug,
    name: row.name,
    status: row.status,
    settings: row.settings ?? {},
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
