import { ACR, lifetimesFor, LoginGates, REFRESH_LIFETIMES, tokenHash } from '@tessera/sessions';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { verifyAuditChain } from '@tessera/audit';
import { sql, startApp, TestApp, describeRedis, uniquePrefix } from './support/app';
import { holdRowLocks } from './support/db';
import { enrolTotpDirectly, loginWithTotp } from './support/mfa-helpers';
import { auditRows, createTenant, createUser } from './support/test-auth';
import { bearer, jwtClaims } from './support/session-helpers';

const sessionOf = (accessToken: string) => String(jwtClaims(accessToken).sid);

const PASSWORD = 'Sessions-Test-Passw0rd-42';

/** Authenticator secrets of the admins created here: MFA is required for tenant_admin and above. */
const totpSecrets = new Map<string, string>();

async function login(t: TestApp, email: string, password = PASSWORD) {
  const secret = totpSecrets.get(email);
  if (secret) return loginWithTotp(t.http, email, password, secret);
  const res = await t.http.post('/v1/auth/login').send({ email, password });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number };
}

/** An admin with an authenticator, so its login completes with a second factor. */
async function withTotp(t: TestApp, user: { id: string; tenantId: string; email: string }) {
  totpSecrets.set(user.email, await enrolTotpDirectly(t, user));
  return user;
}


async function newUser(role: 'member' | 'tenant_admin' = 'member', tenantId?: string) {
  const tenant = tenantId ? { id: tenantId } : await createTenant();
  return createUser({ tenantId: tenant.id, role, password: PASSWORD });
}

describe('sessions: login, refresh, logout, revocation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_AUTH_PER_MINUTE: '10000' });
  });
  afterAll(() => t.close());

  it('a login starts a session; /v1/me and the session list reflect it', async () => {
    const u = await newUser();
    const pair = await login(t, u.email);
    expect(pair.expires_in).toBe(900);
    expect(pair.refresh_expires_in).toBe(12 * 3600);
    const me = await t.http.get('/v1/me').set(bearer(pair.access_token));
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: u.id, email: u.email });
    const list = await t.http.get('/v1/auth/sessions').set(bearer(pair.access_token));
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id: me.body.session.id, method: 'password', amr: ['pwd'], current: true, ip: '127.0.0.1' });
    const [row] = await sql<{ n: number }>(`select count(*)::int as n from refresh_tokens where session_id = $1`, [me.body.session.id]);
    expect(row.n).toBe(1);
    const [stored] = await sql<{ token_digest: string }>(`select token_digest from refresh_tokens where session_id = $1`, [me.body.session.id]);
    expect(stored.token_digest).not.toContain(pair.refresh_token);
  });

  it('refresh rotates: new pair, the old refresh token is consumed, both access tokens work until logout', async () => {
    const u = await newUser();
    const first = await login(t, u.email);
    const res = await t.http.post('/v1/auth/refresh').send({ refresh_token: first.refresh_token });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).not.toBe(first.refresh_token);
    expect(res.body.access_token).not.toBe(first.access_token);
    expect((await t.http.get('/v1/me').set(bearer(res.body.access_token))).status).toBe(200);
    // The chain is kept: the consumed token points at its successor, the only live one.
    const chain = await sql<{ id: string; consumed: boolean; replaced_by: string | null }>(
      `select r.id, r.consumed_at is not null as consumed, r.replaced_by from refresh_tokens r join sessions s on s.id = r.session_id
        where s.user_id = $1 order by r.created_at`,
      [u.id],
    );
    expect(chain).toEqual([
      { id: chain[0]!.id, consumed: true, replaced_by: chain[1]!.id },
      { id: chain[1]!.id, consumed: false, replaced_by: null },
    ]);
    // Within the grace window a second use is refused but the session survives.
    const retry = await t.http.post('/v1/auth/refresh').send({ refresh_token: first.refresh_token });
    expect(retry.status).toBe(401);
    expect(retry.body.type).toBe('urn:tessera:problem:invalid-refresh-token');
    expect((await t.http.get('/v1/me').set(bearer(res.body.access_token))).status).toBe(200);
    expect(await auditRows('auth.refresh', u.tenantId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'success' }), expect.objectContaining({ outcome: 'failure', reason: 'concurrent_or_retry' })]),
    );
  });

  it('reuse of a consumed refresh token after the grace window revokes the whole session', async () => {
    const u = await newUser();
    const first = await login(t, u.email);
    const second = (await t.http.post('/v1/auth/refresh').send({ refresh_token: first.refresh_token })).body;
    await sql(`update refresh_tokens set consumed_at = now() - interval '1 minute' where consumed_at is not null and tenant_id = $1`, [u.tenantId]);
    const reuse = await t.http.post('/v1/auth/refresh').send({ refresh_token: first.refresh_token });
    expect(reuse.status).toBe(401);
    // Every token of the session is dead: the current access token and the newest refresh token.
    expect((await t.http.get('/v1/me').set(bearer(second.access_token))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(first.access_token))).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: second.refresh_token })).status).toBe(401);
    const [s] = await sql<{ revoked_reason: string }>(`select revoked_reason from sessions where user_id = $1`, [u.id]);
    expect(s.revoked_reason).toBe('refresh_token_reuse');
    const rows = await auditRows('auth.refresh.reuse_detected', u.tenantId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ risk_tier: 3, decision: 'deny' });
  });

  it('two concurrent refreshes with the same token yield at most one live successor', async () => {
    const u = await newUser();
    const first = await login(t, u.email);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.http.post('/v1/auth/refresh').send({ refresh_token: first.refresh_token })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    const [n] = await sql<{ live: number }>(
      `select count(*)::int as live from refresh_tokens r join sessions s on s.id = r.session_id where s.user_id = $1 and r.consumed_at is null`,
      [u.id],
    );
    expect(n.live).toBe(1);
  });

  it('concurrent refreshes of many sessions are rotated in groups, each with its own outcome and audit row', async () => {
    const tenantA = await createTenant();
    const tenantB = await createTenant();
    const users = await Promise.all([...Array(5)].map((_, i) => newUser('member', i < 3 ? tenantA.id : tenantB.id)));
    const pairs = await Promise.all(users.map((u) => login(t, u.email)));
    // A consumed token past the grace window (reuse) and an unknown one ride in the same groups.
    const reused = await login(t, users[0]!.email);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: reused.refresh_token })).status).toBe(200);
    await sql(`update refresh_tokens set consumed_at = now() - interval '1 minute' where consumed_at is not null and tenant_id = $1`, [tenantA.id]);

    // Hold the first group in PostgreSQL (locks on the sessions) so the rest queue up behind it.
    const lockHolder = await holdRowLocks(`select id from sessions where tenant_id in ($1, $2) for update`, [tenantA.id, tenantB.id]);
    const requests = [
      ...pairs.map((p, i) => t.http.post('/v1/auth/refresh').set('User-Agent', `grouped-${i}`).send({ refresh_token: p.refresh_token })),
      t.http.post('/v1/auth/refresh').send({ refresh_token: reused.refresh_token }),
      t.http.post('/v1/auth/refresh').send({ refresh_token: 'u'.repeat(43) }),
    ].map((r) => r.then((res) => res)); // send now, not when awaited
    await new Promise((r) => setTimeout(r, 300));
    await lockHolder.release();
    const results = await Promise.all(requests);

    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 401, 401]);
    for (const [i, r] of results.slice(0, 5).entries()) {
      const me = await t.http.get('/v1/me').set(bearer(r.body.access_token));
      expect(me.body.user.id).toBe(users[i]!.id);
      expect(sessionOf(r.body.access_token)).toBe(sessionOf(pairs[i]!.access_token));
    }
    const [reusedSession] = await sql<{ revoked_reason: string }>(`select revoked_reason from sessions where id = $1`, [sessionOf(reused.access_token)]);
    expect(reusedSession!.revoked_reason).toBe('refresh_token_reuse');

    // Each rotation audited once, in its own tenant, with its own request's context; the
    // grouped ones share a transaction (fewer transactions than rotations) and the chains hold.
    const rows = await sql<{ tenant_id: string; user_agent: string; target_id: string; xmin: string }>(
      `select tenant_id, user_agent, target_id, xmin::text from audit_events
        where action = 'auth.refresh' and outcome = 'success' and user_agent like 'grouped-%' order by user_agent`,
    );
    expect(rows.map((r) => [r.user_agent, r.tenant_id, r.target_id])).toEqual(
      pairs.map((p, i) => [`grouped-${i}`, users[i]!.tenantId, sessionOf(p.access_token)]),
    );
    expect(new Set(rows.map((r) => r.xmin)).size).toBeLessThan(rows.length);
    for (const tenantId of [tenantA.id, tenantB.id]) expect((await verifyAuditChain(process.env.TEST_OWNER_DATABASE_URL!, tenantId)).ok).toBe(true);
  });

  it('an expired or unknown refresh token is refused', async () => {
    const u = await newUser();
    const pair = await login(t, u.email);
    await sql(`update refresh_tokens set expires_at = now() - interval '1 second' where tenant_id = $1`, [u.tenantId]);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token })).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: 'x'.repeat(43) })).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: 'short' })).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({})).status).toBe(400);
  });

  it('a tenant admin shortens refresh lifetimes through tenant settings; longer values are refused', async () => {
    const tenant = await createTenant();
    const admin = await withTotp(t, await newUser('tenant_admin', tenant.id));
    const u = await newUser('member', tenant.id);
    const adminPair = await login(t, admin.email);
    const patch = await t.http
      .patch(`/v1/tenants/${tenant.id}`)
      .set(bearer(adminPair.access_token))
      .send({ settings: { session: { idleHours: 2, absoluteHours: 4 } } });
    expect(patch.status).toBe(200);
    expect(patch.body.settings.session).toEqual({ idleHours: 2, absoluteHours: 4 });
    const pair = await login(t, u.email);
    expect(pair.refresh_expires_in).toBe(2 * 3600);
    const [s] = await sql<{ span: number }>(
      `select extract(epoch from absolute_expires_at - created_at)::int as span from sessions where user_id = $1`,
      [u.id],
    );
    expect(s.span).toBeGreaterThanOrEqual(4 * 3600 - 5);
    expect(s.span).toBeLessThanOrEqual(4 * 3600 + 5);
    // A cap above the platform's bound does not lengthen anything (password login: 12 h idle).
    await t.http.patch(`/v1/tenants/${tenant.id}`).set(bearer(adminPair.access_token)).send({ settings: { session: { idleHours: 48 } } });
    expect((await login(t, u.email)).refresh_expires_in).toBe(12 * 3600);
    expect(
      (await t.http.patch(`/v1/tenants/${tenant.id}`).set(bearer(adminPair.access_token)).send({ settings: { session: { idleHours: 0 } } })).status,
    ).toBe(400);
  });

  it('the tenant caps on refresh lifetimes are applied in SQL exactly as lifetimesFor() says', async () => {
    const settings: object[] = [
      {},
      { session: {} },
      { session: { idleHours: 2 } },
      { session: { idleHours: 0.5, absoluteHours: 1.25 } },
      { session: { idleHours: 48, absoluteHours: 1000 } },
      { session: { idleHours: 0, absoluteHours: -3 } },
      { session: { idleHours: '2', absoluteHours: null } },
      { session: { absoluteHours: 6 } },
    ];
    for (const acr of Object.values(ACR)) {
      for (const s of settings) {
        const base = REFRESH_LIFETIMES[acr];
        const [row] = await sql<{ idle_s: number; absolute_s: number }>(`select * from session_lifetimes($1::jsonb, $2, $3)`, [
          JSON.stringify(s),
          base.idleS,
          base.absoluteS,
        ]);
        const expected = lifetimesFor(acr, s as Parameters<typeof lifetimesFor>[1]);
        expect({ acr, s, idleS: row.idle_s, absoluteS: row.absolute_s }).toEqual({ acr, s, ...expected });
      }
    }
  });

  it('a user disabled, or a tenant suspended, after the password check gets no session: 401 and a failure audit row', async () => {
    const gates = t.app.get(LoginGates);
    for (const change of ['user', 'tenant'] as const) {
      const tenant = await createTenant();
      const u = await newUser('member', tenant.id);
      // The change lands between the password check (which saw both active) and session_start().
      jest.spyOn(gates, 'afterPassword').mockImplementationOnce(async () => {
        if (change === 'user') await sql(`update users set status = 'disabled' where id = $1`, [u.id]);
        else await sql(`update tenants set status = 'suspended' where id = $1`, [tenant.id]);
        return null;
      });
      const res = await t.http.post('/v1/auth/login').send({ email: u.email, password: PASSWORD });
      expect(res.status).toBe(401);
      expect(res.body.type).toBe('urn:tessera:problem:invalid-credentials');
      expect(await sql(`select id from sessions where user_id = $1`, [u.id])).toHaveLength(0);
      const rows = (await auditRows('auth.login', tenant.id)).filter((r) => r.actor_id === u.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        outcome: 'failure',
        decision: 'deny',
        reason: change === 'user' ? 'user_not_active' : 'tenant_not_active',
        target_id: null,
      });
      const [user] = await sql<{ last_login_at: Date | null }>(`select last_login_at from users where id = $1`, [u.id]);
      expect(user.last_login_at).toBeNull();
    }
  });

  it('the absolute lifetime caps sliding use', async () => {
    const u = await newUser();
    const pair = await login(t, u.email);
    await sql(`update sessions set absolute_expires_at = now() - interval '1 second' where user_id = $1`, [u.id]);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token })).status).toBe(401);
  });

  it('refresh slides the idle window by its span, capped by the absolute end; an idle-expired session is refused', async () => {
    const u = await newUser();
    const pair = await login(t, u.email);
    // Last used an hour ago with a 2-hour idle span: a refresh moves the idle end to now + 2 h.
    await sql(
      `update sessions set last_used_at = now() - interval '1 hour', idle_expires_at = now() + interval '1 hour',
         absolute_expires_at = now() + interval '10 hours' where user_id = $1`,
      [u.id],
    );
    const res = await t.http.post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(res.status).toBe(200);
    expect(Math.abs(res.body.refresh_expires_in - 2 * 3600)).toBeLessThanOrEqual(2);
    const [s] = await sql<{ idle_s: number; used_s: number }>(
      `select extract(epoch from idle_expires_at - now())::int as idle_s, extract(epoch from now() - last_used_at)::int as used_s
         from sessions where user_id = $1`,
      [u.id],
    );
    expect(Math.abs(s.idle_s - 2 * 3600)).toBeLessThanOrEqual(2);
    expect(s.used_s).toBeLessThanOrEqual(2);
    const [successor] = await sql<{ expires_s: number }>(
      `select extract(epoch from expires_at - now())::int as expires_s from refresh_tokens
        where session_id = (select id from sessions where user_id = $1) and consumed_at is null`,
      [u.id],
    );
    expect(Math.abs(successor.expires_s - 2 * 3600)).toBeLessThanOrEqual(2);

    // The absolute end is nearer than the idle span: it caps both.
    await sql(`update sessions set absolute_expires_at = now() + interval '30 minutes' where user_id = $1`, [u.id]);
    const capped = await t.http.post('/v1/auth/refresh').send({ refresh_token: res.body.refresh_token });
    expect(capped.status).toBe(200);
    expect(Math.abs(capped.body.refresh_expires_in - 30 * 60)).toBeLessThanOrEqual(2);

    // Idle end passed: refused, the session is not slid, no successor is minted.
    await sql(`update sessions set idle_expires_at = now() - interval '1 second' where user_id = $1`, [u.id]);
    const before = await sql(`select idle_expires_at, last_used_at from sessions where user_id = $1`, [u.id]);
    const idle = await t.http.post('/v1/auth/refresh').send({ refresh_token: capped.body.refresh_token });
    expect(idle.status).toBe(401);
    expect(await sql(`select idle_expires_at, last_used_at from sessions where user_id = $1`, [u.id])).toEqual(before);
    // Three tokens in the chain (login, two rotations), none live: the refused one is spent, no successor.
    const chain = await sql<{ live: boolean }>(
      `select consumed_at is null as live from refresh_tokens where session_id = (select id from sessions where user_id = $1)`,
      [u.id],
    );
    expect(chain.map((r) => r.live)).toEqual([false, false, false]);
    expect((await auditRows('auth.refresh', u.tenantId)).map((r) => r.reason)).toContain('session_ended');
  });

  it('logout ends the current session only; logout-all ends every session', async () => {
    const u = await newUser();
    const a = await login(t, u.email);
    const b = await login(t, u.email);
    const c = await login(t, u.email);
    expect((await t.http.post('/v1/auth/logout').set(bearer(a.access_token))).status).toBe(204);
    expect((await t.http.get('/v1/me').set(bearer(a.access_token))).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: a.refresh_token })).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(b.access_token))).status).toBe(200);
    expect((await t.http.post('/v1/auth/logout-all').set(bearer(b.access_token))).status).toBe(204);
    for (const p of [b, c]) {
      expect((await t.http.get('/v1/me').set(bearer(p.access_token))).status).toBe(401);
      expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: p.refresh_token })).status).toBe(401);
    }
    expect(await auditRows('auth.logout', u.tenantId)).toHaveLength(1);
    expect(await auditRows('auth.logout_all', u.tenantId)).toHaveLength(1);
  });

  it('a user ends one of their sessions by id; another user cannot', async () => {
    const u = await newUser();
    const other = await newUser();
    const a = await login(t, u.email);
    const b = await login(t, u.email);
    const o = await login(t, other.email);
    const sessions = (await t.http.get('/v1/auth/sessions').set(bearer(a.access_token))).body as { id: string; current: boolean }[];
    const bId = sessions.find((s) => !s.current)!.id;
    expect((await t.http.delete(`/v1/auth/sessions/${bId}`).set(bearer(o.access_token))).status).toBe(404);
    expect((await t.http.get('/v1/me').set(bearer(b.access_token))).status).toBe(200);
    expect((await t.http.delete(`/v1/auth/sessions/${bId}`).set(bearer(a.access_token))).status).toBe(204);
    expect((await t.http.get('/v1/me').set(bearer(b.access_token))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(a.access_token))).status).toBe(200);
  });

  it('admins list and terminate a user’s sessions in their tenant; other tenants see 404', async () => {
    const tenant = await createTenant();
    const admin = await withTotp(t, await newUser('tenant_admin', tenant.id));
    const u = await newUser('member', tenant.id);
    const outsider = await withTotp(t, await newUser('tenant_admin'));
    const adminPair = await login(t, admin.email);
    const userPair = await login(t, u.email);
    const outsiderPair = await login(t, outsider.email);
    const list = await t.http.get(`/v1/users/${u.id}/sessions`).set(bearer(adminPair.access_token));
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect((await t.http.get(`/v1/users/${u.id}/sessions`).set(bearer(outsiderPair.access_token))).status).toBe(404);
    expect((await t.http.delete(`/v1/users/${u.id}/sessions`).set(bearer(outsiderPair.access_token))).status).toBe(404);
    expect((await t.http.get('/v1/me').set(bearer(userPair.access_token))).status).toBe(200);
    expect((await t.http.get(`/v1/users/${u.id}/sessions`).set(bearer(userPair.access_token))).status).toBe(403);
    expect((await t.http.delete(`/v1/users/${u.id}/sessions`).set(bearer(adminPair.access_token))).status).toBe(204);
    expect((await t.http.get('/v1/me').set(bearer(userPair.access_token))).status).toBe(401);
    expect(await auditRows('session.terminate_all', tenant.id)).toHaveLength(1);
  });

  it('password change, and disabling the user, end every session', async () => {
    const tenant = await createTenant();
    const admin = await withTotp(t, await newUser('tenant_admin', tenant.id));
    const u = await newUser('member', tenant.id);
    const p1 = await login(t, u.email);
    const p2 = await login(t, u.email);
    const change = await t.http
      .post('/v1/me/password')
      .set(bearer(p1.access_token))
      .send({ currentPassword: PASSWORD, newPassword: 'A-completely-new-Passphrase-77' });
    expect(change.status).toBe(204);
    for (const p of [p1, p2]) expect((await t.http.get('/v1/me').set(bearer(p.access_token))).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: p2.refresh_token })).status).toBe(401);

    const p3 = (await t.http.post('/v1/auth/login').send({ email: u.email, password: 'A-completely-new-Passphrase-77' })).body;
    const adminPair = await login(t, admin.email);
    expect((await t.http.post(`/v1/users/${u.id}/disable`).set(bearer(adminPair.access_token))).status).toBeLessThan(300);
    expect((await t.http.get('/v1/me').set(bearer(p3.access_token))).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: p3.refresh_token })).status).toBe(401);
  });

  it('suspending a tenant ends its sessions at once; login and refresh are refused while suspended', async () => {
    const reseller = await createTenant();
    const child = await createTenant({ parentId: reseller.id });
    const domainAdmin = await withTotp(t, await createUser({ tenantId: reseller.id, role: 'domain_admin', password: PASSWORD }));
    const u = await createUser({ tenantId: child.id, password: PASSWORD });
    const adminPair = await login(t, domainAdmin.email);
    const pair = await login(t, u.email);
    expect((await t.http.get('/v1/me').set(bearer(pair.access_token))).status).toBe(200);
    const res = await t.http.post(`/v1/tenants/${child.id}/suspend`).set(bearer(adminPair.access_token));
    expect(res.status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(pair.access_token))).status).toBe(401);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token })).status).toBe(401);
    expect((await t.http.post('/v1/auth/login').send({ email: u.email, password: PASSWORD })).status).toBe(401);
    const [row] = await sql<{ revoked_reason: string }>(`select revoked_reason from sessions where user_id = $1`, [u.id]);
    expect(row.revoked_reason).toBe('tenant_suspended');
    // The refused refresh wrote no successor and left no link to one.
    const tokens = await sql<{ replaced_by: string | null }>(`select replaced_by from refresh_tokens where tenant_id = $1`, [child.id]);
    expect(tokens).toEqual([{ replaced_by: null }]);
    expect((await auditRows('auth.refresh', child.id)).map((r) => r.reason)).toEqual(['session_ended']);
    // The domain admin of the parent is untouched.
    expect((await t.http.get('/v1/me').set(bearer(adminPair.access_token))).status).toBe(200);
  });

  it('a token whose hash left the cache is refused, and refresh still works', async () => {
    const u = await newUser();
    const pair = await login(t, u.email);
    const store = t.app.get<KeyValueStore>(KV_STORE);
    await store.del(`at:${tokenHash(pair.access_token)}`);
    expect((await t.http.get('/v1/me').set(bearer(pair.access_token))).status).toBe(401);
    const next = await t.http.post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(next.status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(next.body.access_token))).status).toBe(200);
  });
});

describeRedis('sessions across two instances sharing PostgreSQL and Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: uniquePrefix(), RATE_LIMIT_AUTH_PER_MINUTE: '10000' };
    a = await startApp(env);
    b = await startApp(env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('a token issued by A works on B; logout through A is refused by B on its next request', async () => {
    const u = await newUser();
    const pair = await login(a, u.email);
    expect((await b.http.get('/v1/me').set(bearer(pair.access_token))).status).toBe(200);
    expect((await a.http.post('/v1/auth/logout').set(bearer(pair.access_token))).status).toBe(204);
    expect((await b.http.get('/v1/me').set(bearer(pair.access_token))).status).toBe(401);
  });

  it('concurrent refreshes through both instances yield one successor', async () => {
    const u = await newUser();
    const pair = await login(a, u.email);
    const results = await Promise.all([a, b, a, b].map((x) => x.http.post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('Redis unreachable: authenticated routes answer 503 with Retry-After, never 200', async () => {
    const u = await newUser();
    const pair = await login(a, u.email);
    const down = await startApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await down.http.get('/v1/me').set(bearer(pair.access_token));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await down.close();
    }
  });
});
