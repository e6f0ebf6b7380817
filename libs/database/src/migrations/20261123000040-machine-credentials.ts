import { Migration } from '@mikro-orm/migrations';
import { tenantTableSql } from '../rls';
import { APP_ROLE } from '../roles';

/**
 * Machine credentials: API keys and S2S tokens (one table: an S2S token is a key owned by a
 * named integration instead of a user) and OAuth 2.0 confidential clients. Secrets are
 * stored only as HMAC-SHA-256 digests under the server pepper (@tessera/crypto); a rotation
 * keeps the previous digest until `previous_expires_at`. `version` is bumped by every
 * change a verifier must see (rotate, revoke, disable), so the cached copy in Redis is
 * replaced on the next request on every instance (same versioned-write rule as users'
 * authz_version).
 *
 * Two pre-tenant lookups (SECURITY DEFINER, listed in libs/database/README.md): a key by
 * its public key id and a client by its client_id. Both return the digests: the caller
 * verifies the presented secret in constant time and caches the row; a digest is useless
 * without the pepper.
 */
export class Migration20261123000040MachineCredentials extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table api_keys (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      key_id text not null check (key_id ~ '^[0-9A-Za-z]{16}$'),
      kind text not null check (kind in ('api_key', 's2s')),
      mode text not null check (mode in ('live', 'test')),
      user_id uuid references users(id) on delete cascade,
      role text check (role in ('member', 'tenant_admin', 'domain_admin', 'system_admin')),
      name text not null check (char_length(name) between 1 and 100),
      purpose text not null default '' check (char_length(purpose) <= 500),
      scopes text[] not null check (cardinality(scopes) between 1 and 100),
      secret_digest text not null check (secret_digest ~ '^[0-9a-f]{64}$'),
      previous_digest text check (previous_digest ~ '^[0-9a-f]{64}$'),
      previous_expires_at timestamptz,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      expires_at timestamptz,
      rotated_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text,
      last_used_at timestamptz,
      last_used_ip inet,
      version bigint not null default 1,
      -- A user's key has an owner and no role of its own; an integration's token the reverse.
      check ((kind = 'api_key') = (user_id is not null)),
      check ((kind = 's2s') = (role is not null)),
      check ((previous_digest is null) = (previous_expires_at is null))
    )`);
    this.addSql(`create unique index api_keys_key_id_key on api_keys (key_id)`);
    this.addSql(`create index api_keys_owner_idx on api_keys (tenant_id, user_id, created_at desc)`);
    this.addSql(`create index api_keys_tenant_idx on api_keys (tenant_id, kind, created_at desc)`);
    for (const sql of tenantTableSql('api_keys')) this.addSql(sql);

    this.addSql(`create table oauth_clients (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      client_id text not null check (client_id ~ '^tsr_client_[0-9A-Za-z]{22}$'),
      user_id uuid not null references users(id) on delete cascade,
      name text not null check (char_length(name) between 1 and 100),
      scopes text[] not null check (cardinality(scopes) between 1 and 100),
      auth_method text not null check (auth_method in ('client_secret', 'private_key_jwt')),
      secret_digest text check (secret_digest ~ '^[0-9a-f]{64}$'),
      previous_digest text check (previous_digest ~ '^[0-9a-f]{64}$'),
      previous_expires_at timestamptz,
      jwks jsonb check (jwks is null or jsonb_typeof(jwks -> 'keys') = 'array'),
      status text not null default 'active' check (status in ('active', 'disabled')),
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      rotated_at timestamptz,
      last_used_at timestamptz,
      version bigint not null default 1,
      check ((auth_method = 'client_secret') = (secret_digest is not null)),
      check ((auth_method = 'private_key_jwt') = (jwks is not null)),
      check ((previous_digest is null) = (previous_expires_at is null))
    )`);
    this.addSql(`create unique index oauth_clients_client_id_key on oauth_clients (client_id)`);
    this.addSql(`create index oauth_clients_tenant_idx on oauth_clients (tenant_id, created_at desc)`);
    this.addSql(`create index oauth_clients_user_idx on oauth_clients (user_id)`);
    for (const sql of tenantTableSql('oauth_clients')) this.addSql(sql);

    this.addSql(`create function lookup_api_key(p_key_id text)
      returns table (id uuid, tenant_id uuid, kind text, mode text, user_id uuid, role text, name text,
                     scopes text[], secret_digest text, previous_digest text, previous_expires_at timestamptz,
                     expires_at timestamptz, revoked_at timestamptz, version bigint, tenant_status text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select k.id, k.tenant_id, k.kind, k.mode, k.user_id, k.role, k.name, k.scopes, k.secret_digest,
               k.previous_digest, k.previous_expires_at, k.expires_at, k.revoked_at, k.version, t.status
          from api_keys k join tenants t on t.id = k.tenant_id
         where k.key_id = p_key_id $$`);
    this.addSql(`create function lookup_oauth_client(p_client_id text)
      returns table (id uuid, tenant_id uuid, client_id text, user_id uuid, scopes text[], auth_method text,
                     secret_digest text, previous_digest text, previous_expires_at timestamptz, jwks jsonb,
                     status text, version bigint, tenant_status text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select c.id, c.tenant_id, c.client_id, c.user_id, c.scopes, c.auth_method, c.secret_digest,
               c.previous_digest, c.previous_expires_at, c.jwks, c.status, c.version, t.status
          from oauth_clients c join tenants t on t.id = c.tenant_id
         where c.client_id = p_client_id $$`);
    for (const fn of ['lookup_api_key(text)', 'lookup_oauth_client(text)']) {
      this.addSql(`revoke all on function ${fn} from public`);
      this.addSql(`grant execute on function ${fn} to ${APP_ROLE}`);
    }
  }
}
