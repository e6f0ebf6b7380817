import { SecretDigest } from '@tessera/crypto';
import { MailService } from '@tessera/mail';
import { PasswordHasher } from '@tessera/password';
import { BruteForceProtection } from '@tessera/sessions';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { normalizeEmail } from '@tessera/users';
import { hashSync } from 'bcryptjs';
import { createLocalJWKSet, JSONWebKeySet, jwtVerify } from 'jose';
import type { Response } from 'supertest';
import { startApp, TestApp, uniquePrefix } from './support/app';
import {
  auditRowsOfRequest,
  bearer,
  fetchJwks,
  jwtClaims,
  jwtHeader,
  loginPassword,
  loginRequest,
  sessionRow,
  TokenPairBody,
  uniqueLoginEmail,
  userRow,
} from './support/session-helpers';
import { SmtpSink } from './support/smtp-sink';
import { auditRows, createTenant, createUser } from './support/test-auth';

const INVALID_CREDENTIALS = {
  type: 'urn:tessera:problem:invalid-credentials',
  title: 'Invalid credentials',
  status: 401,
  detail: 'The email or password is incorrect.',
};

/** Headers that legitimately differ between two responses (time, ids, per-IP counters). */
const VARYING_HEADERS = /^(date|x-request-id|x-ratelimit-.*|retry-after|connection|keep-alive)$/;

function comparableHeaders(res: Response): Record<string, unknown> {
  return Object.fromEntries(Object.entries(res.headers).filter(([k]) => !VARYING_HEADERS.test(k)));
}

function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _r, ...rest } = body;
  return rest;
}

const env = (extra: Record<string, string> = {}) => ({
  REDIS_URL: process.env.REDIS_URL,
  REDIS_PREFIX: uniquePrefix(),
  ...extra,
});

describe('password login security (e2e)', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let tenant: { id: string; slug: string };

  beforeAll(async () => {
    sink = await SmtpSink.start();
    // A high per-IP auth limit: these specs log in many times from 127.0.0.1 (the limit has
    // its own test below). 127.0.0.1 is a trusted proxy so X-Forwarded-For can vary the IP.
    t = await startApp(env({ SMTP_URL: sink.url, RATE_LIMIT_AUTH_PER_MINUTE: '1000', TRUSTED_PROXIES: '127.0.0.1/32' }));
    tenant = await createTenant();
  });
  afterAll(async () => {
    await t.close();
    await sink.stop();
  });
  afterEach(() => jest.restoreAllMocks());

  const login = (body: Record<string, unknown>, headers: Record<string, string> = {}) => loginRequest(t.http, body).set(headers);
  const hasher = () => t.app.get(PasswordHasher);
  const brute = () => t.app.get(BruteForceProtection);

  async function freshUser(opts: { status?: 'pending' | 'active' | 'disabled'; tenantId?: string; noPassword?: boolean; email?: string } = {}) {
    const password = loginPassword();
    const u = await createUser({
      tenantId: opts.tenantId ?? tenant.id,
      status: opts.status,
      email: opts.email ?? uniqueLoginEmail('login'),
      ...(opts.noPassword ? {} : { password }),
    });
    return { ...u, password };
  }

  function expectInvalidCredentials(res: Response): void {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(withoutRequestId(res.body)).toEqual(INVALID_CREDENTIALS);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
  }

  async function loginAuditRow(res: Response) {
    const rows = (await auditRowsOfRequest(String(res.headers['x-request-id']))).filter((r) => r.action === 'auth.login');
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  describe('one generic 401 for every failure, the reason only in the audit trail', () => {
    it('unknown email, wrong password, disabled, pending, SSO-only, suspended tenant, wrong tenant', async () => {
      const suspended = await createTenant({ status: 'suspended' });
      const other = await createTenant();
      const wrongPw = await freshUser();
      const disabled = await freshUser({ status: 'disabled' });
      const pending = await freshUser({ status: 'pending' });
      const ssoOnly = await freshUser({ noPassword: true });
      const inSuspended = await freshUser({ tenantId: suspended.id });
      const wrongTenant = await freshUser();

      const cases: { name: string; body: Record<string, unknown>; reason: string; tenantId: string | null; actorId: string | null }[] = [
        { name: 'unknown email', body: { email: uniqueLoginEmail('nobody'), password: loginPassword() }, reason: 'unknown_user', tenantId: null, actorId: null },
        { name: 'wrong password', body: { email: wrongPw.email, password: loginPassword() }, reason: 'bad_password_or_no_password', tenantId: tenant.id, actorId: wrongPw.id },
        // The right password for each of these: the refusal must not depend on guessing it.
        { name: 'disabled user', body: { email: disabled.email, password: disabled.password }, reason: 'user_disabled', tenantId: tenant.id, actorId: disabled.id },
        { name: 'pending user', body: { email: pending.email, password: pending.password }, reason: 'user_pending', tenantId: tenant.id, actorId: pending.id },
        { name: 'SSO-only user', body: { email: ssoOnly.email, password: loginPassword() }, reason: 'bad_password_or_no_password', tenantId: tenant.id, actorId: ssoOnly.id },
        { name: 'suspended tenant', body: { email: inSuspended.email, password: inSuspended.password }, reason: 'tenant_not_active', tenantId: suspended.id, actorId: inSuspended.id },
        {
          name: 'another tenant named',
          body: { email: wrongTenant.email, password: wrongTenant.password, tenant: other.slug },
          reason: 'tenant_mismatch_or_inactive',
          tenantId: tenant.id,
          actorId: wrongTenant.id,
        },
      ];

      const responses: Response[] = [];
      for (const c of cases) {
        const res = await login(c.body);
        expectInvalidCredentials(res);
        responses.push(res);
        // Nothing in the response names the reason.
        const text = JSON.stringify(res.body) + JSON.stringify(res.headers);
        for (const word of [c.reason, 'disabled', 'pending', 'suspended', 'locked', 'unknown', 'sso', 'tenant']) {
          expect(text.toLowerCase()).not.toContain(word.toLowerCase());
        }
        const row = await loginAuditRow(res);
        expect({ name: c.name, ...pick(row, ['outcome', 'decision', 'reason', 'tenant_id', 'actor_id', 'credential_type']) }).toEqual({
          name: c.name,
          outcome: 'failure',
          decision: 'deny',
          reason: c.reason,
          tenant_id: c.tenantId,
          actor_id: c.actorId,
          credential_type: 'password',
        });
        // The password never reaches the audit trail.
        expect(JSON.stringify(row)).not.toContain(String(c.body.password));
      }
      // Byte-for-byte the same answer, headers included (bar date, request id and per-IP counters).
      const [first, ...rest] = responses;
      for (const r of rest) {
        expect(withoutRequestId(r.body)).toEqual(withoutRequestId(first.body));
        expect(comparableHeaders(r)).toEqual(comparableHeaders(first));
      }
      // And no session was started for any of them.
      const users = [wrongPw, disabled, pending, ssoOnly, inSuspended, wrongTenant].map((u) => u.id);
      for (const id of users) expect((await userRow(id)).last_login_at).toBeNull();
    });

    it('an unknown email costs one dummy argon2 verification, and no real one', async () => {
      const dummy = jest.spyOn(hasher(), 'verifyDummy');
      const verify = jest.spyOn(hasher(), 'verify');
      expectInvalidCredentials(await login({ email: uniqueLoginEmail('ghost'), password: loginPassword() }));
      expect(dummy).toHaveBeenCalledTimes(1);
      expect(verify).not.toHaveBeenCalled();
    });

    it('a wrong password costs one real verification, and no dummy one', async () => {
      const u = await freshUser();
      const dummy = jest.spyOn(hasher(), 'verifyDummy');
      const verify = jest.spyOn(hasher(), 'verify');
      expectInvalidCredentials(await login({ email: u.email, password: loginPassword() }));
      expect(verify).toHaveBeenCalledTimes(1);
      expect(dummy).not.toHaveBeenCalled();
    });
  });

  describe('input validation before any password work', () => {
    it.each([
      ['no body fields', {}],
      ['email missing', { password: 'x-some-password' }],
      ['password missing', { email: 'a@example.test' }],
      ['empty email', { email: '', password: 'x-some-password' }],
      ['empty password', { email: 'a@example.test', password: '' }],
      ['email not an address', { email: 'not-an-email', password: 'x-some-password' }],
      ['email not a string', { email: ['a@example.test'], password: 'x-some-password' }],
      ['password not a string', { email: 'a@example.test', password: 12345678 }],
      ['unknown field tenantId', { email: 'a@example.test', password: 'x-some-password', tenantId: '00000000-0000-0000-0000-000000000001' }],
      ['tenant slug malformed', { email: 'a@example.test', password: 'x-some-password', tenant: '../x' }],
    ])('%s → 400 validation-failed, no argon2', async (_name, body) => {
      const dummy = jest.spyOn(hasher(), 'verifyDummy');
      const verify = jest.spyOn(hasher(), 'verify');
      const res = await login(body);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:validation-failed');
      expect(dummy).not.toHaveBeenCalled();
      expect(verify).not.toHaveBeenCalled();
    });

    it('a 10 000-character password → 400, never hashed or verified (for a real account too)', async () => {
      const u = await freshUser();
      const dummy = jest.spyOn(hasher(), 'verifyDummy');
      const verify = jest.spyOn(hasher(), 'verify');
      const hash = jest.spyOn(hasher(), 'hash');
      for (const email of [u.email, uniqueLoginEmail('ghost')]) {
        const res = await login({ email, password: 'p'.repeat(10_000) });
        expect(res.status).toBe(400);
        expect(res.body.type).toBe('urn:tessera:problem:validation-failed');
        expect(JSON.stringify(res.body)).not.toContain('p'.repeat(50));
      }
      expect(dummy).not.toHaveBeenCalled();
      expect(verify).not.toHaveBeenCalled();
      expect(hash).not.toHaveBeenCalled();
      // ...and it is not a counted failure either.
      expect(await brute().lockedFor(normalizeEmail(u.email))).toBe(0);
    });
  });

  describe('success', () => {
    it('returns an RFC 9068 access token, a 12 h refresh token, and GET /v1/me describes the session', async () => {
      const u = await freshUser();
      const before = Math.floor(Date.now() / 1000);
      const res = await login({ email: u.email, password: u.password }, { 'user-agent': 'login-spec/1.0' });
      expect(res.status).toBe(200);
      const body = res.body as TokenPairBody;
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_expires_in', 'refresh_token', 'token_type']);
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_expires_in: 43_200 });
      expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43,}$/);

      const header = jwtHeader(body.access_token);
      expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
      const jwks = await fetchJwks(t.http);
      expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
      // A relying party verifies it with the published key alone (ES256 as r || s, RFC 7518 §3.4).
      const verified = await jwtVerify(body.access_token, createLocalJWKSet(jwks as JSONWebKeySet), {
        algorithms: ['ES256'],
        typ: 'at+jwt',
        issuer: 'http://tessera.test',
        audience: 'http://tessera.test',
      });
      expect(verified.payload.sub).toBe(u.id);

      const c = jwtClaims(body.access_token);
      expect(c).toEqual({
        iss: 'http://tessera.test',
        aud: 'http://tessera.test',
        sub: u.id,
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
        client_id: 'tessera',
        tid: tenant.id,
        sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        amr: ['pwd'],
        acr: 'urn:tessera:acr:password',
        auth_time: expect.any(Number),
      });
      expect(c.exp! - c.iat!).toBe(900);
      expect(c.iat!).toBeGreaterThanOrEqual(before);
      expect(c.auth_time as number).toBeGreaterThanOrEqual(before);
      expect((c.jti as string).length).toBeGreaterThanOrEqual(16);

      const me = await t.http.get('/v1/me').set(bearer(body.access_token));
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        user: { id: u.id, email: u.email, name: 'Test User', status: 'active', emailVerified: true },
        tenant: { id: tenant.id, slug: tenant.slug, name: expect.any(String) },
        roles: { general: 'member', task: [] },
        permissions: ['api_keys:read', 'api_keys:write', 'mfa:enroll', 'self:read', 'self:write'],
        credential: { type: 'session', id: c.sid, test: false },
        session: { id: c.sid, amr: ['pwd'], acr: 'urn:tessera:acr:password', authTime: new Date((c.auth_time as number) * 1000).toISOString() },
      });

      // Persisted: last login, the session with its client facts.
      expect((await userRow(u.id)).last_login_at).not.toBeNull();
      const s = await sessionRow(c.sid as string);
      expect(s).toMatchObject({ user_id: u.id, tenant_id: tenant.id, method: 'password', amr: ['pwd'], user_agent: 'login-spec/1.0', revoked_at: null });

      // Audited, with the session as target and no secret in the row.
      const row = await loginAuditRow(res);
      expect(pick(row, ['outcome', 'decision', 'actor_type', 'actor_id', 'tenant_id', 'target_type', 'target_id', 'credential_type'])).toEqual({
        outcome: 'success',
        decision: 'allow',
        actor_type: 'user',
        actor_id: u.id,
        tenant_id: tenant.id,
        target_type: 'session',
        target_id: c.sid,
        credential_type: 'password',
      });
      const rowText = JSON.stringify(row);
      for (const secret of [body.access_token, body.refresh_token, u.password, ...body.access_token.split('.')]) {
        expect(rowText).not.toContain(secret);
      }
    });

    it('token responses (login and refresh) are never cached: Cache-Control no-store (RFC 6749 §5.1)', async () => {
      const u = await freshUser();
      const res = await login({ email: u.email, password: u.password });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toContain('no-store');
      const refreshed = await t.http.post('/v1/auth/refresh').send({ refresh_token: res.body.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers['cache-control']).toContain('no-store');
    });

    it('accepts case and Unicode variants of the email, and the tenant slug of the user', async () => {
      const u = await freshUser({ email: uniqueLoginEmail('alice') });
      expect((await login({ email: u.email.toUpperCase(), password: u.password })).status).toBe(200);
      expect((await login({ email: `Ａ${u.email.slice(1)}`, password: u.password })).status).toBe(200);
      expect((await login({ email: u.email, password: u.password, tenant: tenant.slug })).status).toBe(200);
    });

    it('a legacy bcrypt user logs in and the stored hash becomes argon2id', async () => {
      const password = loginPassword();
      const u = await createUser({ tenantId: tenant.id, email: uniqueLoginEmail('legacy'), passwordHash: hashSync(password, 10) });
      expect((await userRow(u.id)).password_hash).toMatch(/^\$2[aby]\$/);
      expect((await login({ email: u.email, password })).status).toBe(200);
      const upgraded = (await userRow(u.id)).password_hash!;
      expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect((await hasher().verify(upgraded, password)).ok).toBe(true);
      // The upgraded hash works for the next login, and a wrong password still fails.
      expect((await login({ email: u.email, password })).status).toBe(200);
      expectInvalidCredentials(await login({ email: u.email, password: `${password}x` }));
    });
  });

  describe('brute force', () => {
    const wrong = (email: string, headers: Record<string, string> = {}) => login({ email, password: loginPassword() }, headers);

    async function failFiveTimes(email: string, headers: (i: number) => Record<string, string> = () => ({})): Promise<Response[]> {
      const out: Response[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await wrong(email, headers(i));
        expectInvalidCredentials(res);
        out.push(res);
      }
      return out;
    }

    async function lockoutRows(tenantId: string, userId: string) {
      return (await auditRows('auth.lockout', tenantId)).filter((r) => r.target_id === userId);
    }

    it('5 wrong passwords lock the account: the right one is then refused the same way; audit row and mail', async () => {
      const u = await freshUser();
      const failures = await failFiveTimes(u.email);
      const dummy = jest.spyOn(hasher(), 'verifyDummy');
      const verify = jest.spyOn(hasher(), 'verify');

      const locked = await login({ email: u.email, password: u.password });
      expectInvalidCredentials(locked);
      // Indistinguishable from an ordinary failure.
      expect(withoutRequestId(locked.body)).toEqual(withoutRequestId(failures[0].body));
      expect(comparableHeaders(locked)).toEqual(comparableHeaders(failures[0]));
      // Same work as a real verification, but never against the real hash.
      expect(dummy).toHaveBeenCalledTimes(1);
      expect(verify).not.toHaveBeenCalled();
      expect((await loginAuditRow(locked)).reason).toBe('account_locked');
      expect((await userRow(u.id)).last_login_at).toBeNull();

      const rows = await lockoutRows(tenant.id, u.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ risk_tier: 3, outcome: 'success', target_type: 'user' });
      expect((rows[0].params as { durationSeconds: number }).durationSeconds).toBe(60);
      // The lock row belongs to the 5th failure's request.
      expect(rows[0].request_id).toBe(failures[4].headers['x-request-id']);

      await t.app.get(MailService).drain();
      const mails = sink.messagesTo(u.email);
      expect(mails).toHaveLength(1);
      expect(mails[0].subject).toMatch(/temporarily locked/);
    });

    it('attempts while locked do not extend the lock, nor write another lockout or mail', async () => {
      const u = await freshUser();
      await failFiveTimes(u.email);
      const key = normalizeEmail(u.email);
      const before = await brute().lockedFor(key);
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThanOrEqual(60_000);
      await new Promise((r) => setTimeout(r, 50));
      for (const password of [loginPassword(), u.password, loginPassword()]) {
        expectInvalidCredentials(await login({ email: u.email, password }));
      }
      const after = await brute().lockedFor(key);
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(before);
      expect(await lockoutRows(tenant.id, u.id)).toHaveLength(1);
      await t.app.get(MailService).drain();
      expect(sink.messagesTo(u.email)).toHaveLength(1);
    });

    it('case and Unicode (NFKC) variants of the email count against the same account', async () => {
      const u = await freshUser({ email: uniqueLoginEmail('alice') });
      expect(u.email.startsWith('a')).toBe(true);
      const variants = [u.email.toUpperCase(), `Ａ${u.email.slice(1)}`, `ａ${u.email.slice(1)}`, u.email.replace('@example', '@EXAMPLE'), `Ａ${u.email.slice(1).toUpperCase()}`];
      for (const email of variants) expectInvalidCredentials(await wrong(email));
      expect(await brute().lockedFor(normalizeEmail(u.email))).toBeGreaterThan(0);
      expectInvalidCredentials(await login({ email: u.email, password: u.password }));
      expect(await lockoutRows(tenant.id, u.id)).toHaveLength(1);
    });

    it('rotating source IPs (through a trusted proxy) does not bypass the account lock', async () => {
      const u = await freshUser();
      const failures = await failFiveTimes(u.email, (i) => ({ 'x-forwarded-for': `203.0.113.${10 + i}` }));
      // The IPs really were seen as different (so this is not the per-IP limit at work).
      const ips = await Promise.all(failures.map(async (f) => String((await loginAuditRow(f)).ip)));
      expect(new Set(ips).size).toBe(5);
      expect(ips[0]).toBe('203.0.113.10');
      expectInvalidCredentials(await login({ email: u.email, password: u.password }, { 'x-forwarded-for': '198.51.100.77' }));
      expect(await lockoutRows(tenant.id, u.id)).toHaveLength(1);
    });

    it('after the lock ends the right password works and resets the failure count; the next lock is longer', async () => {
      const u = await freshUser();
      const key = normalizeEmail(u.email);
      await failFiveTimes(u.email);
      expect(await brute().lockedFor(key)).toBeGreaterThan(0);
      await expireLock(key);

      expect((await login({ email: u.email, password: u.password })).status).toBe(200);
      // 4 failures, a success, 4 more: without the reset the 5th of those 8 would have locked.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 4; i++) expectInvalidCredentials(await wrong(u.email));
        expect((await login({ email: u.email, password: u.password })).status).toBe(200);
      }
      expect(await lockoutRows(tenant.id, u.id)).toHaveLength(1);

      // Growing back-off: the second lock lasts 2 minutes.
      await failFiveTimes(u.email);
      const second = await brute().lockedFor(key);
      expect(second).toBeGreaterThan(60_000);
      expect(second).toBeLessThanOrEqual(120_000);
      const rows = await lockoutRows(tenant.id, u.id);
      expect(rows.map((r) => (r.params as { durationSeconds: number }).durationSeconds)).toEqual([60, 120]);
    });

    it('parallel guesses cannot evaluate more than 5 passwords before the lock', async () => {
      const u = await freshUser();
      const verify = jest.spyOn(hasher(), 'verify');
      const results = await Promise.all(Array.from({ length: 12 }, () => wrong(u.email)));
      for (const r of results) expectInvalidCredentials(r);
      // Only 5 guesses may be checked against the real hash; the rest meet the lock.
      expect(verify.mock.calls.length).toBeLessThanOrEqual(5);
      expect(await lockoutRows(tenant.id, u.id)).toHaveLength(1);
    });

    it('parallel guesses do not inflate the back-off: the lock after a parallel burst is still followed by a 2 min one', async () => {
      const u = await freshUser();
      await Promise.all(Array.from({ length: 12 }, () => wrong(u.email)));
      expect(await brute().lockedFor(normalizeEmail(u.email))).toBeLessThanOrEqual(60_000);
      await expireLock(normalizeEmail(u.email));
      await failFiveTimes(u.email);
      const next = await brute().lockedFor(normalizeEmail(u.email));
      expect(next).toBeGreaterThan(60_000);
      expect(next).toBeLessThanOrEqual(120_000);
    });

    it('attempts while locked are refused without being counted toward the next lock', async () => {
      const u = await freshUser();
      const key = normalizeEmail(u.email);
      await failFiveTimes(u.email);
      for (let i = 0; i < 3; i++) expectInvalidCredentials(await wrong(u.email));
      await expireLock(key);
      // Counted while locked, these 4 would have reached 5 at once and locked again.
      for (let i = 0; i < 4; i++) expectInvalidCredentials(await wrong(u.email));
      expect(await brute().lockedFor(key)).toBe(0);
      expect((await login({ email: u.email, password: u.password })).status).toBe(200);
    });

    it('a locked unknown email also runs the dummy verification (same work either way)', async () => {
      const email = uniqueLoginEmail('ghost-locked');
      await failFiveTimes(email);
      expect(await brute().lockedFor(normalizeEmail(email))).toBeGreaterThan(0);
      const dummy = jest.spyOn(hasher(), 'verifyDummy');
      expectInvalidCredentials(await wrong(email));
      expect(dummy).toHaveBeenCalledTimes(1);
    });

    /** Ends a lock now, as its expiry would: deletes BruteForceProtection's lock key. */
    async function expireLock(emailNormalized: string): Promise<void> {
      const digest = t.app.get(SecretDigest).digest(`login:${emailNormalized}`).slice(0, 32);
      expect(await t.app.get<KeyValueStore>(KV_STORE).del(`bf:lock:${digest}`)).toBe(1);
      expect(await brute().lockedFor(emailNormalized)).toBe(0);
    }
  });
});

describe('the per-IP auth limit on login (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(env({ RATE_LIMIT_AUTH_PER_MINUTE: '3' }));
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  it('the 4th login from one IP within a minute is 429 with Retry-After, before any password work', async () => {
    const tenant = await createTenant();
    const password = loginPassword();
    const u = await createUser({ tenantId: tenant.id, password, email: uniqueLoginEmail('limit') });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await loginRequest(t.http, { email: u.email, password })).status);
    expect(statuses).toEqual([200, 200, 200]);

    const hasher = t.app.get(PasswordHasher);
    const verify = jest.spyOn(hasher, 'verify');
    const dummy = jest.spyOn(hasher, 'verifyDummy');
    const refused = await loginRequest(t.http, { email: u.email, password });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.type).toBe('urn:tessera:problem:rate-limited');
    expect(refused.body).not.toHaveProperty('access_token');
    expect(verify).not.toHaveBeenCalled();
    expect(dummy).not.toHaveBeenCalled();
    // An unknown email is limited the same way (the limit is per IP, not per account).
    expect((await loginRequest(t.http, { email: uniqueLoginEmail('other'), password })).status).toBe(429);
  });
});

function pick(row: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, row[k]]));
}
