import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { runStatement } from './tenant-db.service';

/** `lookup_api_key(key_id)`: what verifying a key needs (migration 20261123000040). */
export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  kind: 'api_key' | 's2s';
  mode: 'live' | 'test';
  user_id: string | null;
  role: string | null;
  name: string;
  scopes: string[];
  secret_digest: string;
  previous_digest: string | null;
  previous_expires_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  version: string | number;
  tenant_status: string;
}

/** `lookup_oauth_client(client_id)`: what client authentication needs. */
export interface OAuthClientRow {
  id: string;
  tenant_id: string;
  client_id: string;
  user_id: string;
  scopes: string[];
  auth_method: 'client_secret' | 'private_key_jwt';
  secret_digest: string | null;
  previous_digest: string | null;
  previous_expires_at: Date | null;
  jwks: { keys: object[] } | null;
  status: 'active' | 'disabled';
  version: string | number;
  tenant_status: string;
}

export interface TenantRef {
  id: string;
  status: string;
}

/**
 * The narrow, named path for the lookups that must happen before the tenant is known
 * (DESIGN.md). Each method calls one SECURITY DEFINER function that returns only the
 * identifiers needed to choose a tenant; everything after runs inside TenantDb.withTenant.
 * Later modules add their lookups here (SSO by email domain, eID link by subject).
 */
@Injectable()
export class PreTenantLookup {
  constructor(private readonly orm: MikroORM) {}

  /** One autocommit statement, no EntityManager fork (see runStatement). */
  private run<T>(sql: string, params: unknown[]): Promise<T> {
    return runStatement<T>(this.orm, sql, params);
  }

  /** `emailNormalized` must come from normalizeEmail() (lower-cased NFKC). */
  async userByEmail(emailNormalized: string): Promise<{ id: string; tenantId: string; status: string } | null> {
    const rows = await this.run<{ id: string; tenant_id: string; status: string }[]>('select id, tenant_id, status from lookup_user_by_email(?)', [emailNormalized]);
    return rows[0] ? { id: rows[0].id, tenantId: rows[0].tenant_id, status: rows[0].status } : null;
  }

  /** A one-time link token by its digest (the link carries no tenant). */
  async accountToken(digest: string): Promise<{ id: string; tenantId: string; userId: string; purpose: string } | null> {
    const rows = await this.run<{ id: string; tenant_id: string; user_id: string; purpose: string }[]>(
        'select id, tenant_id, user_id, purpose from lookup_account_token(?)',
        [digest],
      );
    const r = rows[0];
    return r ? { id: r.id, tenantId: r.tenant_id, userId: r.user_id, purpose: r.purpose } : null;
  }

  /** A refresh token by its digest: the refresh call carries no tenant. */
  async refreshToken(digest: string): Promise<{ id: string; tenantId: string; sessionId: string } | null> {
    const rows = await this.run<{ id: string; tenant_id: string; session_id: string }[]>('select id, tenant_id, session_id from lookup_refresh_token(?)', [digest]);
    const r = rows[0];
    return r ? { id: r.id, tenantId: r.tenant_id, sessionId: r.session_id } : null;
  }

  /** An MFA login or enrolment challenge by its token's digest (the token carries no tenant). */
  async mfaChallenge(digest: string): Promise<{ id: string; tenantId: string; userId: string; purpose: string } | null> {
    const rows = await this.run<{ id: string; tenant_id: string; user_id: string; purpose: string }[]>(
        'select id, tenant_id, user_id, purpose from lookup_mfa_challenge(?)',
        [digest],
      );
    const r = rows[0];
    return r ? { id: r.id, tenantId: r.tenant_id, userId: r.user_id, purpose: r.purpose } : null;
  }

  /**
   * The profile behind a verified access token, in one round trip and no transaction: read
   * by user id AND tenant id, both taken from the token (never from the request).
   */
  async sessionProfile(userId: string, tenantId: string) {
    const rows = await this.run<
      { id: string; email: string; name: string; status: string; role: string; verified: boolean; tid: string; slug: string; tname: string; tstatus: string }[]
    >('select * from session_profile(?, ?)', [userId, tenantId]);
    return rows[0] ?? null;
  }

  /**
   * What the permission guard needs about a user (role, status, authz version, task roles
   * and the permissions of its custom roles), in one round trip, by ids from a verified
   * credential. Used only to fill the authorization cache.
   */
  async userAuthz(userId: string, tenantId: string) {
    const rows = await this.run<
      { role: string; status: string; version: string | number; task_roles: string[]; custom_permissions: string[] }[]
    >('select * from user_authz(?, ?)', [userId, tenantId]);
    return rows[0] ?? null;
  }

  /**
   * An API key or S2S token by its public key id (the part of `tsr_live_…` after the
   * prefix): the request carries no tenant. Returns the stored digests for a constant-time
   * comparison by the caller, and the tenant's status.
   */
  async apiKey(keyId: string): Promise<ApiKeyRow | null> {
    const rows = await this.run<ApiKeyRow[]>('select * from lookup_api_key(?)', [keyId]);
    return rows[0] ?? null;
  }

  /** An OAuth client by its public client_id (token, introspection and revocation endpoints). */
  async oauthClient(clientId: string): Promise<OAuthClientRow | null> {
    const rows = await this.run<OAuthClientRow[]>('select * from lookup_oauth_client(?)', [clientId]);
    return rows[0] ?? null;
  }

  async tenantBySlug(slug: string): Promise<TenantRef | null> {
    const rows = await this.run<TenantRef[]>('select id, status from lookup_tenant_by_slug(?)', [slug]);
    return rows[0] ?? null;
  }
}
