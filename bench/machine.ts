import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { totpCodeAt } from '@tessera/mfa';
import { benchUsers, login } from './sessions';
import type { ScenarioContext, ScenarioRequest } from './types';

/**
 * Data for the Machine-credentials scenarios: an API key of the first bench user, and an
 * OAuth client acting for a tenant admin of the bench tenant (written as the superuser,
 * with the bench users' password hash), both created through the API like a client would.
 */

async function json(baseUrl: string, path: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** GET /v1/me with an API key (scope `read`) of the first bench user. */
export async function apiKeySetup(ctx: ScenarioContext): Promise<ScenarioRequest> {
  const { emails } = await benchUsers(ctx.database);
  const { access_token } = await login(ctx.baseUrl, emails[0]!);
  const key = await json(ctx.baseUrl, '/v1/api-keys', access_token, { name: 'bench', scopes: ['read'] });
  return { headers: { authorization: `Bearer ${String(key.key)}` } };
}

/**
 * A new tenant admin in the bench tenant, for creating an OAuth client (one per scenario:
 * each enrols its own authenticator on its first login, see adminSession).
 */
function benchAdmin(ctx: ScenarioContext): Promise<string> {
  return (async () => {
    const { tenantId, emails } = await benchUsers(ctx.database);
    const email = `Bench.Admin.${randomUUID().slice(0, 8)}@bench.example.test`;
    const client = new Client({ connectionString: ctx.database.superUrl });
    await client.connect();
    try {
      await client.query(
        `insert into users (id, tenant_id, email, email_normalized, name, status, role, password_hash, email_verified_at)
         select gen_random_uuid(), $1, $2, lower($2), 'Bench Admin', 'active', 'tenant_admin', password_hash, now()
           from users where email = $3`,
        [tenantId, email, emails[0]],
      );
    } finally {
      await client.end();
    }
    return email;
  })();
}

/**
 * A tenant admin must use MFA: the first login answers with an enrolment token, with which
 * the admin enrols an authenticator (TOTP code computed here) and gets an MFA session —
 * fresh enough for the tier-3 step-up that creating an OAuth client needs.
 */
async function adminSession(baseUrl: string, email: string): Promise<string> {
  const first = (await login(baseUrl, email, { allowMfa: true })) as unknown as Record<string, unknown>;
  if (typeof first.access_token === 'string') return first.access_token;
  const enrol = String(first.enrollment_token);
  const started = await json(baseUrl, '/v1/me/mfa/totp', enrol, {});
  const code = await totpCodeAt(String(started.secret), Date.now() / 1000);
  const res = await fetch(new URL('/v1/me/mfa/totp/confirm', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${enrol}` },
    body: JSON.stringify({ code }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`MFA enrolment of the bench admin: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.access_token;
}

/** POST /oauth/token, grant_type=client_credentials, client_secret_basic, one client for every connection. */
export async function clientCredentialsSetup(ctx: ScenarioContext): Promise<ScenarioRequest> {
  const email = await benchAdmin(ctx);
  const access_token = await adminSession(ctx.baseUrl, email);
  const me = (await (await fetch(new URL('/v1/me', ctx.baseUrl), { headers: { authorization: `Bearer ${access_token}` } })).json()) as { user: { id: string } };
  const client = await json(ctx.baseUrl, '/v1/oauth-clients', access_token, { name: 'bench', userId: me.user.id, scopes: ['read'] });
  const basic = Buffer.from(`${encodeURIComponent(String(client.clientId))}:${encodeURIComponent(String(client.clientSecret))}`).toString('base64');
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: 'grant_type=client_credentials',
  };
}
