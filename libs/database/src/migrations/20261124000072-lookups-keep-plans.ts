import { Migration } from '@mikro-orm/migrations';

/**
 * The SECURITY DEFINER lookups (pre-tenant lookups by digest, email, slug or key id, and the
 * cache fills `session_profile` and `user_authz`) become PL/pgSQL with the same query.
 * A SECURITY DEFINER SQL function is never inlined, and a SQL function's body is parsed and
 * planned again on every call; PL/pgSQL keeps the plan per connection. Measured on
 * `lookup_refresh_token` (20261124000071): 56 -> 12 us per call; `user_authz` took ~620 us
 * per call during the login benchmark. Results, owners, grants and SECURITY DEFINER are
 * unchanged (`create or replace` keeps the ACL).
 */
const LOOKUPS: { signature: string; returns: string; query: string }[] = [
  {
    signature: 'lookup_tenant_by_slug(p_slug text)',
    returns: 'id uuid, status text',
    query: 'select t.id, t.status from tenants t where t.slug = lower(p_slug)',
  },
  {
    signature: 'lookup_user_by_email(p_email_normalized text)',
    returns: 'id uuid, tenant_id uuid, status text',
    query: 'select u.id, u.tenant_id, u.status from users u where u.email_normalized = p_email_normalized',
  },
  {
    signature: 'lookup_account_token(p_digest text)',
    returns: 'id uuid, tenant_id uuid, user_id uuid, purpose text',
    query: 'select t.id, t.tenant_id, t.user_id, t.purpose from account_tokens t where t.token_digest = p_digest',
  },
  {
    signature: 'lookup_user_tenant(p_user_id uuid)',
    returns: 'tenant_id uuid',
    query: 'select u.tenant_id from users u where u.id = p_user_id',
  },
  {
    signature: 'lookup_mfa_challenge(p_digest text)',
    returns: 'id uuid, tenant_id uuid, user_id uuid, purpose text',
    query: 'select c.id, c.tenant_id, c.user_id, c.purpose from mfa_challenges c where c.token_digest = p_digest',
  },
  {
    signature: 'session_profile(p_user uuid, p_tenant uuid)',
    returns: 'id uuid, email text, name text, status text, role text, verified boolean, tid uuid, slug text, tname text, tstatus text',
    query: `select u.id, u.email, u.name, u.status, u.role, u.email_verified_at is not null,
               t.id, t.slug, t.name, t.status
          from users u join tenants t on t.id = u.tenant_id
         where u.id = p_user and u.tenant_id = p_tenant`,
  },
  {
    signature: 'user_authz(p_user uuid, p_tenant uuid)',
    returns: 'role text, status text, version bigint, task_roles text[], custom_permissions text[]',
    query: `select u.role, u.status, u.authz_version,
               coalesce((select array_agg(coalesce(ur.builtin, r.name) order by ur.created_at)
                           from user_roles ur left join roles r on r.id = ur.role_id where ur.user_id = u.id), '{}'),
               coalesce((select array_agg(distinct p)
                           from user_roles ur join roles r on r.id = ur.role_id, unnest(r.permissions) p
                          where ur.user_id = u.id), '{}')
          from users u
         where u.id = p_user and u.tenant_id = p_tenant`,
  },
  {
    signature: 'lookup_api_key(p_key_id text)',
    returns: `id uuid, tenant_id uuid, kind text, mode text, user_id uuid, role text, name text,
              scopes text[], secret_digest text, previous_digest text, previous_expires_at timestamptz,
              expires_at timestamptz, revoked_at timestamptz, version bigint, tenant_status text`,
    query: `select k.id, k.tenant_id, k.kind, k.mode, k.user_id, k.role, k.name, k.scopes, k.secret_digest,
               k.previous_digest, k.previous_expires_at, k.expires_at, k.revoked_at, k.version, t.status
          from api_keys k join tenants t on t.id = k.tenant_id
         where k.key_id = p_key_id`,
  },
  {
    signature: 'lookup_oauth_client(p_client_id text)',
    returns: `id uuid, tenant_id uuid, client_id text, user_id uuid, scopes text[], auth_method text,
              secret_digest text, previous_digest text, previous_expires_at timestamptz, jwks jsonb,
              status text, version bigint, tenant_status text`,
    query: `select c.id, c.tenant_id, c.client_id, c.user_id, c.scopes, c.auth_method, c.secret_digest,
               c.previous_digest, c.previous_expires_at, c.jwks, c.status, c.version, t.status
          from oauth_clients c join tenants t on t.id = c.tenant_id
         where c.client_id = p_client_id`,
  },
];

export class Migration20261124000072LookupsKeepPlans extends Migration {
  override async up(): Promise<void> {
    for (const { signature, returns, query } of LOOKUPS) {
      // Output columns are PL/pgSQL variables too: the queries qualify every column, and
      // use_column settles any name they share.
      this.addSql(`create or replace function ${signature}
        returns table (${returns}) language plpgsql stable security definer
        set search_path = public, pg_temp as $$
        #variable_conflict use_column
        begin
          return query ${query};
        end $$`);
    }
  }
}
