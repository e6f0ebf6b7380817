import { Migration } from '@mikro-orm/migrations';
import { tenantTableSql } from '../rls';
import { APP_ROLE } from '../roles';

/**
 * MFA (@tessera/mfa): one TOTP authenticator per user (secret encrypted, AES-256-GCM, bound
 * to tenant and user), single-use recovery codes (HMAC digests), and the short-lived
 * challenges of a login, an enrolment or a step-up (token digest, encrypted email code,
 * attempt counters). All tenant-owned, under RLS.
 */
export class Migration20261123000050Mfa extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table mfa_totp (
      user_id uuid primary key references users(id) on delete cascade,
      tenant_id uuid not null references tenants(id) on delete cascade,
      secret_enc text not null,
      status text not null check (status in ('pending', 'active')),
      created_at timestamptz not null default now(),
      confirmed_at timestamptz,
      -- RFC 6238 time step of the last accepted code: a code of that step or earlier is a replay.
      last_used_step bigint,
      check ((status = 'active') = (confirmed_at is not null))
    )`);
    this.addSql(`create index mfa_totp_tenant_idx on mfa_totp (tenant_id)`);
    for (const sql of tenantTableSql('mfa_totp')) this.addSql(sql);

    this.addSql(`create table mfa_recovery_codes (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      code_digest text not null,
      created_at timestamptz not null default now(),
      used_at timestamptz,
      unique (user_id, code_digest)
    )`);
    this.addSql(
      `create index mfa_recovery_codes_unused_idx on mfa_recovery_codes (user_id) where used_at is null`,
    );
    for (const sql of tenantTableSql('mfa_recovery_codes', {
      privileges: ['select', 'insert', 'update', 'delete'],
    }))
      this.addSql(sql);

    this.addSql(`create table mfa_challenges (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      purpose text not null check (purpose in ('login', 'enroll', 'step_up')),
      -- HMAC of the mfa_token / enrollment token; step-up challenges are bound to a session instead.
      token_digest text unique,
      session_id uuid references sessions(id) on delete cascade,
      methods text[] not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      consumed_at timestamptz,
      consumed_reason text,
      attempts int not null default 0,
      email_code_enc text,
      email_code_expires_at timestamptz,
      email_sends int not null default 0,
      check ((purpose = 'step_up') = (session_id is not null)),
      check ((purpose = 'step_up') = (token_digest is null))
    )`);
    this.addSql(
      `create index mfa_challenges_user_idx on mfa_challenges (tenant_id, user_id) where consumed_at is null`,
    );
    for (const sql of tenantTableSql('mfa_challenges')) this.addSql(sql);

    // The MFA token and the enrolment token carry no tenant (like a refresh token): the one
    // pre-tenant lookup of this module, by the token's digest (libs/database/README.md).
    this.addSql(`create function lookup_mfa_challenge(p_digest text)
      returns table (id uuid, tenant_id uuid, user_id uuid, purpose text) language sql stable security definer
      set search_path = public, pg_temp as $$
        select c.id, c.tenant_id, c.user_id, c.purpose from mfa_challenges c where c.token_digest = p_digest $$`);
    this.addSql(`revoke all on function lookup_mfa_challenge(text) from public`);
    this.addSql(`grant execute on function lookup_mfa_challenge(text) to ${APP_ROLE}`);
  }
}
