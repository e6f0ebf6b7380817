import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from '../roles';

/**
 * Password login in single statements. A login made 19 PostgreSQL round trips, 14 of them
 * for three tenant transactions (BEGIN, set_config, the work, COMMIT): the user row, the MFA
 * account and the session start, plus the pre-tenant lookup and a tenant check. On a 2-core
 * machine where argon2 wants both cores every round trip costs a context switch on each side
 * and backend CPU, so each step is now one statement, like refresh_rotate (20261123000023).
 *
 * All three are SECURITY INVOKER: they run as the application role under RLS. Each sets the
 * tenant itself, transaction-local, so in autocommit it lasts for its own statement only;
 * called inside a transaction of the same tenant it changes nothing, and inside a
 * transaction of another tenant it refuses (it would otherwise switch the tenant of the
 * rest of that transaction).
 */
export class Migration20261124000090LoginStatements extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function app_enter_tenant(p_tenant uuid) returns void language plpgsql
      set search_path = public, pg_temp as $$
      begin
        if coalesce(current_setting('app.tenant_id', true), '') not in ('', p_tenant::text) then
          raise exception 'another tenant is set in this transaction' using errcode = '42501';
        end if;
        perform set_config('app.tenant_id', p_tenant::text, true);
      end $$`);

    // The pre-tenant lookup by email in PL/pgSQL: a SQL function with SET or SECURITY DEFINER
    // is never inlined, so its body was parsed and planned on every call; PL/pgSQL keeps the
    // plan per connection (measured: ~120 -> ~50 us of backend CPU per call). Same result.
    this.addSql(`create or replace function lookup_user_by_email(p_email_normalized text)
      returns table (id uuid, tenant_id uuid, status text) language plpgsql stable security definer
      set search_path = public, pg_temp as $$
      begin
        return query select u.id, u.tenant_id, u.status from users u where u.email_normalized = p_email_normalized;
      end $$`);

    // What a password check needs, in one statement: whose address it is (the pre-tenant
    // lookup above, the narrow path), then, under RLS in that user's tenant, the stored hash
    // and whether the tenant lets it log in. Only an active user's hash is read.
    this.addSql(`create function login_account(p_email_normalized text)
      returns table (id uuid, tenant_id uuid, status text, password_hash text, tenant_status text, tenant_slug text)
      language plpgsql security invoker set search_path = public, pg_temp as $$
      declare
        k record;
      begin
        select l.id, l.tenant_id, l.status into k from lookup_user_by_email(p_email_normalized) l;
        if not found then
          return;
        end if;
        if k.status = 'active' then
          perform app_enter_tenant(k.tenant_id);
          return query select u.id, u.tenant_id, u.status, u.password_hash, t.status, t.slug
            from users u join tenants t on t.id = u.tenant_id
           where u.id = k.id and u.tenant_id = k.tenant_id;
          if found then
            return;
          end if;
        end if;
        return query select k.id, k.tenant_id, k.status, null::text, null::text, null::text;
      end $$`);

    // The MFA standing of an account (MfaRepository.account): the same columns as its query.
    this.addSql(`create function mfa_account(p_tenant uuid, p_user uuid)
      returns table (id uuid, tenant_id uuid, email text, name text, status text, role text,
                     email_verified_at timestamptz, password_hash text, tstatus text, settings jsonb,
                     totp_status text, totp_created_at timestamptz, totp_confirmed_at timestamptz, recovery_left int)
      language plpgsql security invoker set search_path = public, pg_temp as $$
      begin
        perform app_enter_tenant(p_tenant);
        return query
        select u.id, u.tenant_id, u.email, u.name, u.status, u.role, u.email_verified_at, u.password_hash,
               t.status, t.settings, m.status, m.created_at, m.confirmed_at,
               (select count(*)::int from mfa_recovery_codes r where r.user_id = u.id and r.used_at is null)
          from users u join tenants t on t.id = u.tenant_id left join mfa_totp m on m.user_id = u.id
         where u.id = p_user and u.tenant_id = p_tenant;
      end $$`);

    // Tenants may shorten refresh lifetimes (settings.session.idleHours / absoluteHours,
    // positive numbers), never lengthen them: session-policy.ts lifetimesFor(), which a test
    // keeps equal to this.
    this.addSql(`create function session_lifetimes(p_settings jsonb, p_idle_s float8, p_absolute_s float8,
        out idle_s float8, out absolute_s float8)
      language plpgsql immutable set search_path = public, pg_temp as $$
      declare
        h jsonb;
      begin
        idle_s := p_idle_s;
        absolute_s := p_absolute_s;
        h := p_settings #> '{session,idleHours}';
        if jsonb_typeof(h) = 'number' and h::float8 > 0 then
          idle_s := least(p_idle_s, h::float8 * 3600);
        end if;
        h := p_settings #> '{session,absoluteHours}';
        if jsonb_typeof(h) = 'number' and h::float8 > 0 then
          absolute_s := least(p_absolute_s, h::float8 * 3600);
        end if;
      end $$`);

    // SessionService.start(): session, refresh token, last_login_at and the audit row in one
    // statement's transaction. The user must still be active and its tenant too (checked
    // here, atomically with the insert); otherwise nothing is written but a failure audit row.
    this.addSql(`create function session_start(p_tenant uuid, p_user uuid, p_session uuid, p_ip text, p_user_agent text,
        p_method text, p_amr text[], p_acr text, p_auth_time timestamptz, p_idle_s float8, p_absolute_s float8,
        p_refresh_digest text, p_audit jsonb)
      returns table (outcome text, refresh_expires_in float8)
      language plpgsql security invoker set search_path = public, pg_temp as $$
      declare
        v_settings jsonb;
        v_life record;
        v_ttl float8;
      begin
        perform app_enter_tenant(p_tenant);
        select t.settings into v_settings from tenants t where t.id = p_tenant and t.status = 'active';
        if not found then
          perform audit_append((p_audit - 'target_type' - 'target_id')
            || '{"outcome":"failure","decision":"deny","reason":"tenant_not_active"}');
          return query select 'refused'::text, null::float8;
          return;
        end if;
        update users set last_login_at = now() where id = p_user and tenant_id = p_tenant and status = 'active';
        if not found then
          perform audit_append((p_audit - 'target_type' - 'target_id')
            || '{"outcome":"failure","decision":"deny","reason":"user_not_active"}');
          return query select 'refused'::text, null::float8;
          return;
        end if;
        v_life := session_lifetimes(coalesce(v_settings, '{}'::jsonb), p_idle_s, p_absolute_s);
        v_ttl := least(v_life.idle_s, v_life.absolute_s);
        insert into sessions (id, tenant_id, user_id, ip, user_agent, method, amr, acr, auth_time, idle_expires_at, absolute_expires_at)
        values (p_session, p_tenant, p_user, nullif(p_ip, '')::inet, p_user_agent, p_method, p_amr, p_acr, p_auth_time,
                now() + make_interval(secs => v_life.idle_s), now() + make_interval(secs => v_life.absolute_s));
        insert into refresh_tokens (tenant_id, session_id, token_digest, expires_at)
        values (p_tenant, p_session, p_refresh_digest, now() + make_interval(secs => v_ttl));
        perform audit_append(p_audit);
        return query select 'ok'::text, v_ttl;
      end $$`);

    for (const fn of [
      'app_enter_tenant(uuid)',
      'login_account(text)',
      'mfa_account(uuid, uuid)',
      'session_lifetimes(jsonb, float8, float8)',
      'session_start(uuid, uuid, uuid, text, text, text, text[], text, timestamptz, float8, float8, text, jsonb)',
    ]) {
      this.addSql(`revoke all on function ${fn} from public`);
      this.addSql(`grant execute on function ${fn} to ${APP_ROLE}`);
    }
  }
}
