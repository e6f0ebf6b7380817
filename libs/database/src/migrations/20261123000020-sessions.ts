import { Migration } from '@mikro-orm/migrations';
import { tenantTableSql } from '../rls';
import { APP_ROLE } from '../roles';

/**
 * Sessions: platform signing keys (not tenant-owned: one issuer for the platform), and the
 * tenant-owned sessions and refresh tokens.
 */
export class Migration20261123000020Sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table signing_keys (
      kid text primary key check (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
      alg text not null default 'ES256' check (alg = 'ES256'),
      public_jwk jsonb not null,
      private_key_enc text not null,
      status text not null check (status in ('next', 'active', 'retired')),
      created_at timestamptz not null default now(),
      activated_at timestamptz,
      retired_at timestamptz,
      publish_until timestamptz
    )`);
    this.addSql(`create unique index signing_keys_one_active on signing_keys (status) where status = 'active'`);
    this.addSql(`revoke all on signing_keys from public`);
    this.addSql(`grant select, insert, update on signing_keys to ${APP_ROLE}`);

    this.addSql(`create table sessions (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      created_at timestamptz not null default now(),
      last_used_at timestamptz not null default now(),
      ip inet,
      user_agent text,
      method text not null,
      amr text[] not null,
      acr text not null,
      auth_time timestamptz not null,
      idle_expires_at timestamptz not null,
      absolute_expires_at timestamptz not null,
      revoked_at timestamptz,
      revoked_reason text
    )`);
    this.addSql(`create index sessions_user_live_idx on sessions (tenant_id, user_id) where revoked_at is null`);
    for (const sql of tenantTableSql('sessions')) this.addSql(sql);

    this.addSql(`create table refresh_tokens (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      session_id uuid not null references sessions(id) on delete cascade,
      token_digest text not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      consumed_at timestamptz,
      replaced_by uuid
    )`);
    this.addSql(`create unique index refresh_tokens_digest_key on refresh_tokens (token_digest)`);
    this.addSql(`create index refresh_tokens_session_idx on refresh_tokens (session_id)`);
    for (const sql of tenantTableSql('refresh_tokens')) this.addSql(sql);

    this.addSql(`create function lookup_refresh_token(p_digest text)
      returns table (id uuid, tenant_id uuid, session_id uuid) language sql stable security definer
      set search_path = public, pg_temp as $$
        select r.id, r.tenant_id, r.session_id from refresh_tokens r where r.token_digest = p_digest $$`);
    this.addSql(`revoke all on function lookup_refresh_token(text) from public`);
    this.addSql(`grant execute on function lookup_refresh_token(text) to ${APP_ROLE}`);
  }
}
