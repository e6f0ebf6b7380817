/**
 * The two database roles (see libs/database/README.md for the SQL an operator runs).
 * OWNER runs migrations and owns every table; APP is what the server connects as:
 * not superuser, not owner, no BYPASSRLS, so row-level security always applies to it.
 */
export const OWNER_ROLE = 'tessera_owner';
export const APP_ROLE = 'tessera_app';

/** The per-transaction setting that carries the tenant into RLS policies. */
export const TENANT_SETTING = 'app.tenant_id';
