import { Migration } from '@mikro-orm/migrations';
import { tenantTableSql } from '../rls';
import { APP_ROLE } from '../roles';

export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000001';

/**
 * Accounts: the platform root tenant (every tenant descends from it, so a system admin,
 * who belongs to it, reaches the whole tree), users, and one-time link tokens.
 */
export class Migration20261123000002Accounts extends Migration {
  override async up(): Promise<void> {
    // The owner is bound by FORCE RLS too; lift it for this one seed row, inside the migration's transaction.
    this.addSql(`alter table tenants no force row level security`);
    this.addSql(`insert into tenants (id, slug, name, status) values ('${PLATFORM_TENANT_ID}', 'platform', 'Platform', 'active')`);
    this.addSql(`alter table tenants force row level security`);

    this.addSql(`create table users (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      email text not null check (char_length(email) between 3 and 320),
      email_normalized text not null,
      name text not null check (char_length(name) between 1 and 200),
      status text not null default 'pending' check (status in ('pending', 'active', 'disabled')),
      role text not null default 'member' check (role in ('member', 'tenant_admin', 'domain_admin', 'system_admin')),
      password_hash text,
      password_changed_at timestamptz,
      email_verified_at timestamptz,
      last_login_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
    // Platform-wide uniqueness (DESIGN.md): lower(NFKC(email)), computed by the application.
    this.addSql(`create unique index users_email_normalized_key on users (email_normalized)`);
    this.addSql(`create index users_tenant_idx on users (tenant_id, created_at, id)`);
    for (const sql of tenantTableSql('users')) this.addSql(sql);

    this.addSql(`create table account_tokens (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      purpose text not null check (purpose in ('email_verification', 'invitation', 'password_reset')),
      token_digest text not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      superseded_at timestamptz,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create unique index account_tokens_digest_key on account_tokens (token_digest)`);
    this.addSql(`create index account_tokens_user_idx on account_tokens (user_id, purpose)`);
    for (const sql of tenantTableSql('account_tokens')) this.addSql(sql);

    // Pre-tenant lookups (named path, see libs/database/README.md).
    this.addSql(`create function lookup_user_by_email(p_email_normalized text)
      returns table (id uuid, tenant_id uuid, status text) language sql stable security definer
      set search_path = public, pg_temp as $$
        select u.id, u.tenant_id, u.status from users u where u.email_normalized = p_email_normalized $$`);
    this.addSql(`create function lookup_account_token(p_digest text)
      returns table (id uuid, tenant_id uuid, user_id uuid, purpose text) language sql stable security definer
      set search_path = public, pg_temp as $$
        select t.id, t.tenant_id, t.user_id, t.purpose from account_tokens t where t.token_digest = p_digest $$`);
    for (const fn of ['lookup_user_by_email(text)', 'lookup_account_token(text)']) {
      this.addSql(`revoke all on function ${fn} from public`);
      this.addSql(`grant execute on function ${fn} to ${APP_ROLE}`);
    }
  }
}
