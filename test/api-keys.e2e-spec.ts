import { ApiKeyAuthenticator, formatApiKey } from '@tessera/api-keys';
import { PreTenantLookup } from '@tessera/database';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { describeRedis, sql, startApp, TestApp, uniquePrefix } from './support/app';
import { bearer, createKey, createS2s } from './support/machine-helpers';
import { asUser, auditRows, createTenant, createUser, PLATFORM_TENANT_ID, TestAuthModule } from './support/test-auth';

const problem = (code: string) => `urn:tessera:problem:${code}`;
const keyRow = (id: string) => sql<Record<string, unknown>>('select * from api_keys where id = $1', [id]).then((r) => r[0]);
const keyCount = (tenantId: string) => sql<{ n: number }>('select count(*)::int as n from api_keys where tenant_id = $1', [tenantId]).then((r) => r[0]!.n);

describe('API keys and S2S tokens (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: uniquePrefix() }, { extraModules: [TestAuthModule] });
  });
  afterAll(() => t.close());

  it('create: the key is shown once, stored only as a digest, and authenticates GET /v1/me', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const created = await createKey(t, u.id, { scopes: ['read'], purpose: 'tests' });
    expect(created.key).toMatch(/^tsr_live_[0-9A-Za-z]{65}$/);
    expect(created.prefix).toBe(created.key.slice(0, 25));
    const row = await keyRow(created.id);
    expect(JSON.stringify(row)).not.toContain(created.key.slice(25, 60));
    expect(row!.secret_digest).toMatch(/^[0-9a-f]{64}$/);

    const me = await t.http.get('/v1/me').set(bearer(created.key));
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(u.id);
    expect(me.body.credential).toEqual({ type: 'api_key', id: created.id, test: false, scopes: ['read'] });
    expect(me.body.permissions).toEqual(['api_keys:read', 'self:read']);

    const listed = await t.http.get('/v1/api-keys').set(asUser(u.id));
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).not.toHaveProperty('key');
    expect(JSON.stringify(listed.body)).not.toContain(created.key.slice(25));
    const one = await t.http.get(`/v1/api-keys/${created.id}`).set(bearer(created.key));
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('key');
    expect((await auditRows('api_key.create', tenant.id))[0]).toMatchObject({ actor_id: u.id, target_id: created.id, outcome: 'success' });
  });

  it('every request made with a key is audited with the key as credential; test keys are marked', async () => {
    const tenant = await createTenant();
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const target = await createUser({ tenantId: tenant.id });
    const key = await createKey(t, admin.id, { scopes: ['users:update', 'self:read'], mode: 'test' });
    expect(key.key.startsWith('tsr_test_')).toBe(true);
    const me = await t.http.get('/v1/me').set(bearer(key.key));
    expect(me.body.credential).toMatchObject({ type: 'api_key', test: true });
    expect((await t.http.patch(`/v1/users/${target.id}`).set(bearer(key.key)).send({ name: 'Renamed by key' })).status).toBe(200);
    const [row] = await auditRows('user.update', tenant.id);
    expect(row).toMatchObject({ actor_type: 'user', actor_id: admin.id, credential_type: 'api_key', credential_id: key.id, credential_test: true });
  });

  it('rotate: new secret; the old one works during the overlap, then dies', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(t, u.id, { scopes: ['read'] });
    const rotated = await t.http.post(`/v1/api-keys/${k.id}/rotate`).set(asUser(u.id)).send({});
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).not.toBe(k.key);
    expect(rotated.body.prefix).toBe(k.prefix);
    const overlapEnd = new Date(rotated.body.previousSecretExpiresAt).getTime();
    expect(overlapEnd - Date.now()).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(rotated.body.key))).status).toBe(200);
    // The overlap ends (as if 24 h had passed): the old secret is refused, the new one works.
    await sql(`update api_keys set previous_expires_at = now() - interval '1 second', version = version + 1 where id = $1`, [k.id]);
    await t.app.get<KeyValueStore>(KV_STORE).del(`ak:${k.prefix.slice(9)}`);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(rotated.body.key))).status).toBe(200);
    // overlapSeconds 0: the previous secret stops at once.
    const now = await t.http.post(`/v1/api-keys/${k.id}/rotate`).set(asUser(u.id)).send({ overlapSeconds: 0 });
    expect((await t.http.get('/v1/me').set(bearer(rotated.body.key))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(now.body.key))).status).toBe(200);
    expect(await auditRows('api_key.rotate', tenant.id)).toHaveLength(2);
    // Keys cannot rotate keys.
    expect((await t.http.post(`/v1/api-keys/${k.id}/rotate`).set(bearer(now.body.key)).send({})).status).toBe(403);
  });

  it('rotating again inside the overlap: only the secret just replaced overlaps; the one before it dies at once', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(t, u.id, { scopes: ['read'] });
    const first = await t.http.post(`/v1/api-keys/${k.id}/rotate`).set(asUser(u.id)).send({});
    const second = await t.http.post(`/v1/api-keys/${k.id}/rotate`).set(asUser(u.id)).send({ overlapSeconds: 3600 });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(first.body.key))).status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(second.body.key))).status).toBe(200);
    // The overlap is the second rotation's own (1 h), not what was left of the first (24 h).
    const overlapEnd = new Date(second.body.previousSecretExpiresAt).getTime() - Date.now();
    expect(overlapEnd).toBeGreaterThan(3600_000 - 60_000);
    expect(overlapEnd).toBeLessThanOrEqual(3600_000);
    const [row] = await sql<{ n: number }>(`select count(*)::int as n from api_keys where id = $1 and previous_digest is not null`, [k.id]);
    expect(row.n).toBe(1);
  });

  it('refuses a bad checksum before any lookup: no PostgreSQL query, no Redis read', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(t, u.id, { scopes: ['read'] });
    const typo = k.key.slice(0, 40) + (k.key[40] === 'x' ? 'y' : 'x') + k.key.slice(41);
    const lookup = jest.spyOn(t.app.get(PreTenantLookup), 'apiKey');
    const store = t.app.get<KeyValueStore>(KV_STORE);
    const getMany = jest.spyOn(store, 'getMany');
    try {
      for (const bad of [typo, k.key.slice(0, -1), 'tsr_live_garbage']) {
        const res = await t.http.get('/v1/me').set(bearer(bad));
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_token"');
      }
      expect(lookup).not.toHaveBeenCalled();
      expect(getMany.mock.calls.filter(([keys]) => keys.some((x: string) => x.startsWith('ak:')))).toHaveLength(0);
    } finally {
      lookup.mockRestore();
      getMany.mockRestore();
    }
    expect((await auditRows('access.denied', null)).some((r) => r.reason === 'invalid_credentials:bearer-api-key')).toBe(true);
  });

  it('a wrong secret for a real key id is refused and audited in the key’s tenant', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(t, u.id, { scopes: ['read'] });
    const forged = formatApiKey('live', k.prefix.slice(9));
    const res = await t.http.get('/v1/me').set(bearer(forged));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ type: problem('invalid-token') });
    const [row] = await auditRows('api_key.authentication_failed', tenant.id);
    expect(row).toMatchObject({ reason: 'wrong_secret', credential_id: k.id, decision: 'deny' });
    // The right key still works (a failure does not lock the key).
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);
  });

  it('a key in a query string is refused, even with a valid header', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(t, u.id, { scopes: ['read'] });
    for (const path of [`/v1/me?api_key=${k.key}`, `/v1/me?access_token=${k.key}`, `/v1/me?x=${encodeURIComponent(k.key)}`, `/health/live?key=${k.key}`]) {
      const res = await t.http.get(path).set(bearer(k.key));
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/never in the URL/);
    }
    expect((await auditRows('access.denied', null)).some((r) => r.reason === 'credential_in_query')).toBe(true);
  });

  it('a key of another tenant reaches nothing of this one', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const adminA = await createUser({ tenantId: a.id, role: 'tenant_admin' });
    const adminB = await createUser({ tenantId: b.id, role: 'tenant_admin' });
    const keyB = await createKey(t, adminB.id, { scopes: ['read'] });
    const userA = await createUser({ tenantId: a.id });
    expect((await t.http.get(`/v1/users/${userA.id}`).set(bearer(keyB.key))).status).toBe(404);
    expect((await t.http.get(`/v1/tenants/${a.id}`).set(bearer(keyB.key))).status).toBe(404);
    expect((await t.http.get(`/v1/users?tenantId=${a.id}`).set(bearer(keyB.key))).status).toBe(403);
    const listB = await t.http.get('/v1/users').set(bearer(keyB.key));
    expect(listB.body.items.every((x: { tenantId: string }) => x.tenantId === b.id)).toBe(true);
    expect(adminA.id).toBeDefined();
  });

  it('scopes ∩ owner: explicit scopes the owner lacks are refused; tier scopes shrink to the owner’s permissions; tier 4 never', async () => {
    const tenant = await createTenant();
    const member = await createUser({ tenantId: tenant.id });
    const before = await keyCount(tenant.id);
    const notHeld = await t.http.post('/v1/api-keys').set(asUser(member.id)).send({ name: 'x', scopes: ['users:read'] });
    expect(notHeld.status).toBe(403);
    expect(notHeld.body).toMatchObject({ type: problem('scope-exceeds-permissions'), scopes: ['users:read'] });
    const tier4 = await t.http.post('/v1/api-keys').set(asUser(member.id)).send({ name: 'x', scopes: ['tenants:delete'] });
    expect(tier4.status).toBe(400);
    expect(tier4.body.type).toBe(problem('scope-not-delegable'));
    const unknown = await t.http.post('/v1/api-keys').set(asUser(member.id)).send({ name: 'x', scopes: ['nothing:here'] });
    expect(unknown.body.type).toBe(problem('unknown-scope'));
    const invalid = await t.http.post('/v1/api-keys').set(asUser(member.id)).send({ name: '', scopes: [] });
    expect(invalid.status).toBe(400);
    const past = await t.http.post('/v1/api-keys').set(asUser(member.id)).send({ name: 'x', scopes: ['read'], expiresAt: '2000-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(await keyCount(tenant.id)).toBe(before);
    expect((await auditRows('access.denied', tenant.id)).some((r) => String(r.reason).includes('scope-exceeds-permissions (users:read)'))).toBe(true);

    // A system admin's execute key: everything up to tier 3, never tier 4.
    const sys = await createUser({ tenantId: PLATFORM_TENANT_ID, role: 'system_admin' });
    const exec = await createKey(t, sys.id, { scopes: ['execute'] });
    const me = await t.http.get('/v1/me').set(bearer(exec.key));
    expect(me.body.permissions).toContain('tenants:create');
    expect(me.body.permissions).not.toContain('signing_keys:rotate');
    const rotateKeys = await t.http.post('/v1/signing-keys/rotate').set(bearer(exec.key)).send({});
    expect(rotateKeys.status).toBe(403);
    // Tier-4 routes also take sessions only; either way the key is refused and it is audited.
    expect((await auditRows('access.denied', PLATFORM_TENANT_ID)).some((r) => r.credential_id === exec.id && r.decision === 'deny')).toBe(true);

    // Scope denial: a read key refused a write route, audited as such.
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const readKey = await createKey(t, admin.id, { scopes: ['read'] });
    expect((await t.http.patch(`/v1/users/${member.id}`).set(bearer(readKey.key)).send({ name: 'no' })).status).toBe(403);
    const denial = (await auditRows('access.denied', tenant.id)).find((r) => r.credential_id === readKey.id);
    expect(denial).toMatchObject({ reason: "scope denied: users:update is outside the credential's scopes", decision: 'deny' });
  });

  it('owner demotion shrinks the key at once; owner disabled stops it', async () => {
    const tenant = await createTenant();
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const owner = await createUser({ tenantId: tenant.id, role: 'tenant_admin', passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA' });
    const k = await createKey(t, owner.id, { scopes: ['write'] });
    expect((await t.http.get('/v1/users').set(bearer(k.key))).status).toBe(200);
    const demote = await t.http.put(`/v1/users/${owner.id}/roles`).set(asUser(admin.id)).send({ role: 'member', taskRoles: [] });
    expect(demote.status).toBe(200);
    expect((await t.http.get('/v1/users').set(bearer(k.key))).status).toBe(403);
    const me = await t.http.get('/v1/me').set(bearer(k.key));
    expect(me.status).toBe(200);
    expect(me.body.permissions).toEqual(['api_keys:read', 'api_keys:write', 'mfa:enroll', 'self:read', 'self:write']);
    expect((await t.http.post(`/v1/users/${owner.id}/disable`).set(asUser(admin.id))).status).toBeLessThan(300);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    expect((await auditRows('api_key.authentication_failed', tenant.id)).map((r) => r.reason)).toContain('owner_not_active');
    expect((await t.http.post(`/v1/users/${owner.id}/enable`).set(asUser(admin.id))).status).toBeLessThan(300);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);
  });

  it('expired and revoked keys are refused; revocation is idempotent and audited', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(t, u.id, { scopes: ['read'], expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);
    expect((await t.http.delete(`/v1/api-keys/${k.id}`).set(asUser(u.id))).status).toBe(204);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    expect((await t.http.delete(`/v1/api-keys/${k.id}`).set(asUser(u.id))).status).toBe(204);
    expect((await t.http.get(`/v1/api-keys/${k.id}`).set(asUser(u.id))).body.status).toBe('revoked');
    expect(await auditRows('api_key.revoke', tenant.id)).toHaveLength(1);
    expect((await t.http.post(`/v1/api-keys/${k.id}/rotate`).set(asUser(u.id)).send({})).body.type).toBe(problem('key-revoked'));

    const e = await createKey(t, u.id, { scopes: ['read'], expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    await sql(`update api_keys set expires_at = now() - interval '1 second', version = version + 1 where id = $1`, [e.id]);
    await t.app.get<KeyValueStore>(KV_STORE).del(`ak:${e.prefix.slice(9)}`);
    expect((await t.http.get('/v1/me').set(bearer(e.key))).status).toBe(401);
  });

  it('keys of others: a member sees and touches only its own; api_keys:manage (credential_manager) reaches the tenant, never above its role', async () => {
    const tenant = await createTenant();
    const m1 = await createUser({ tenantId: tenant.id });
    const m2 = await createUser({ tenantId: tenant.id });
    const manager = await createUser({ tenantId: tenant.id, taskRoles: ['credential_manager'] });
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const k1 = await createKey(t, m1.id, { scopes: ['read'] });
    expect((await t.http.get(`/v1/api-keys/${k1.id}`).set(asUser(m2.id))).status).toBe(404);
    expect((await t.http.delete(`/v1/api-keys/${k1.id}`).set(asUser(m2.id))).status).toBe(404);
    expect((await t.http.get(`/v1/api-keys?userId=${m1.id}`).set(asUser(m2.id))).status).toBe(403);
    expect((await t.http.post('/v1/api-keys').set(asUser(m2.id)).send({ name: 'x', scopes: ['read'], userId: m1.id })).status).toBe(403);
    expect((await t.http.get('/v1/me').set(bearer(k1.key))).status).toBe(200);

    const all = await t.http.get('/v1/api-keys?all=true').set(asUser(manager.id));
    expect(all.status).toBe(200);
    expect(all.body.items.map((x: { id: string }) => x.id)).toContain(k1.id);
    const minted = await t.http.post('/v1/api-keys').set(asUser(manager.id)).send({ name: 'for m2', scopes: ['read'], userId: m2.id });
    expect(minted.status).toBe(201);
    expect(minted.body.userId).toBe(m2.id);
    expect((await auditRows('api_key.create', tenant.id)).find((r) => r.target_id === minted.body.id)).toMatchObject({ actor_id: manager.id });
    // Never for a user above the manager's own role.
    const high = await t.http.post('/v1/api-keys').set(asUser(manager.id)).send({ name: 'x', scopes: ['read'], userId: admin.id });
    expect(high.status).toBe(403);
    expect(high.body.type).toBe(problem('target-role-too-high'));
    const adminKey = await createKey(t, admin.id, { scopes: ['read'] });
    expect((await t.http.delete(`/v1/api-keys/${adminKey.id}`).set(asUser(manager.id))).status).toBe(403);
    expect((await t.http.get('/v1/me').set(bearer(adminKey.key))).status).toBe(200);
    expect((await t.http.delete(`/v1/api-keys/${k1.id}`).set(asUser(manager.id))).status).toBe(204);
    expect((await t.http.get('/v1/me').set(bearer(k1.key))).status).toBe(401);
  });

  it('tenant isolation: tenant B’s admin cannot read, rotate or revoke tenant A’s keys and clients (404, nothing changed, audited)', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const ownerA = await createUser({ tenantId: a.id, role: 'tenant_admin' });
    const adminB = await createUser({ tenantId: b.id, role: 'tenant_admin' });
    const keyA = await createKey(t, ownerA.id, { scopes: ['read'] });
    const s2sA = await createS2s(t, ownerA.id, { role: 'member', scopes: ['read'] });
    const clientA = (await t.http.post('/v1/oauth-clients').set(asUser(ownerA.id)).send({ name: 'c', userId: ownerA.id, scopes: ['read'] })).body;
    const before = await sql('select id, version, secret_digest, revoked_at from api_keys where tenant_id = $1 order by id', [a.id]);
    const beforeClients = await sql('select id, version, secret_digest, status from oauth_clients where tenant_id = $1', [a.id]);
    const attempts = [
      t.http.get(`/v1/api-keys/${keyA.id}`),
      t.http.post(`/v1/api-keys/${keyA.id}/rotate`).send({}),
      t.http.delete(`/v1/api-keys/${keyA.id}`),
      t.http.get(`/v1/s2s-tokens/${s2sA.id}`),
      t.http.post(`/v1/s2s-tokens/${s2sA.id}/rotate`).send({}),
      t.http.delete(`/v1/s2s-tokens/${s2sA.id}`),
      t.http.get(`/v1/oauth-clients/${clientA.id}`),
      t.http.post(`/v1/oauth-clients/${clientA.id}/rotate-secret`).send({}),
      t.http.post(`/v1/oauth-clients/${clientA.id}/disable`),
      t.http.delete(`/v1/oauth-clients/${clientA.id}`),
    ];
    for (const req of attempts) {
      const res = await req.set(asUser(adminB.id));
      expect(res.status).toBe(404);
    }
    expect((await t.http.get(`/v1/api-keys/${keyA.id}?tenantId=${a.id}`).set(asUser(adminB.id))).status).toBe(403);
    expect(await sql('select id, version, secret_digest, revoked_at from api_keys where tenant_id = $1 order by id', [a.id])).toEqual(before);
    expect(await sql('select id, version, secret_digest, status from oauth_clients where tenant_id = $1', [a.id])).toEqual(beforeClients);
    expect((await t.http.get('/v1/me').set(bearer(keyA.key))).status).toBe(200);
    const denials = (await auditRows('access.denied', b.id)).filter((r) => r.actor_id === adminB.id);
    expect(denials.length).toBeGreaterThanOrEqual(attempts.length);
    const listB = await t.http.get('/v1/api-keys?all=true').set(asUser(adminB.id));
    expect(listB.body.items).toEqual([]);
  });

  it('S2S tokens: role never above the creator’s; principal without a user; revocable', async () => {
    const tenant = await createTenant();
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const before = await keyCount(tenant.id);
    const tooHigh = await t.http.post('/v1/s2s-tokens').set(asUser(admin.id)).send({ name: 'ci', role: 'domain_admin', scopes: ['read'] });
    expect(tooHigh.status).toBe(403);
    expect(tooHigh.body.type).toBe(problem('role-too-high'));
    const outsideRole = await t.http.post('/v1/s2s-tokens').set(asUser(admin.id)).send({ name: 'ci', role: 'member', scopes: ['users:read'] });
    expect(outsideRole.body.type).toBe(problem('scope-exceeds-role'));
    const member = await createUser({ tenantId: tenant.id });
    expect((await t.http.post('/v1/s2s-tokens').set(asUser(member.id)).send({ name: 'ci', role: 'member', scopes: ['read'] })).status).toBe(403);
    expect(await keyCount(tenant.id)).toBe(before);

    const s2s = await createS2s(t, admin.id, { name: 'billing-sync', purpose: 'nightly billing sync', role: 'tenant_admin', scopes: ['read'] });
    expect(s2s).toMatchObject({ role: 'tenant_admin', userId: null });
    const me = await t.http.get('/v1/me').set(bearer(s2s.key));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: null, tenant: { id: tenant.id }, roles: { general: 'tenant_admin' }, credential: { type: 's2s', id: s2s.id } });
    expect(me.body.permissions).toContain('users:read');
    expect(me.body.permissions).not.toContain('users:invite');
    expect((await t.http.get('/v1/users').set(bearer(s2s.key))).status).toBe(200);
    const row = (await auditRows('s2s_token.create', tenant.id)).find((r) => r.outcome === 'success');
    expect(row).toMatchObject({ actor_id: admin.id, target_id: s2s.id, risk_tier: 3 });
    expect(await keyRow(s2s.id)).toMatchObject({ created_by: admin.id, purpose: 'nightly billing sync', user_id: null });
    // Requests made with it name the integration as the actor.
    const target = await createUser({ tenantId: tenant.id });
    const writer = await createS2s(t, admin.id, { name: 'hr-sync', role: 'tenant_admin', scopes: ['users:update'] });
    expect((await t.http.patch(`/v1/users/${target.id}`).set(bearer(writer.key)).send({ name: 'From HR' })).status).toBe(200);
    expect((await auditRows('user.update', tenant.id))[0]).toMatchObject({ actor_type: 's2s', actor_id: 'hr-sync', credential_type: 's2s_token', credential_id: writer.id });

    const list = await t.http.get('/v1/s2s-tokens').set(asUser(admin.id));
    expect(list.body.items.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([s2s.id, writer.id]));
    expect((await t.http.delete(`/v1/s2s-tokens/${s2s.id}`).set(asUser(admin.id))).status).toBe(204);
    expect((await t.http.get('/v1/me').set(bearer(s2s.key))).status).toBe(401);

    // A domain admin creates one in a child tenant; not in a sibling.
    const reseller = await createTenant();
    const child = await createTenant({ parentId: reseller.id });
    const da = await createUser({ tenantId: reseller.id, role: 'domain_admin' });
    const inChild = await t.http.post('/v1/s2s-tokens').set(asUser(da.id)).send({ name: 'child-sync', role: 'tenant_admin', scopes: ['read'], tenantId: child.id });
    expect(inChild.status).toBe(201);
    expect(inChild.body.tenantId).toBe(child.id);
    expect((await t.http.get('/v1/me').set(bearer(inChild.body.key))).body.tenant.id).toBe(child.id);
    expect((await t.http.post('/v1/s2s-tokens').set(asUser(da.id)).send({ name: 'x', role: 'member', scopes: ['read'], tenantId: tenant.id })).status).toBe(403);
  });

  it('records last use (time and IP) in batches, not per request', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(t, u.id, { scopes: ['read'] });
    await t.http.get('/v1/me').set(bearer(k.key));
    expect((await keyRow(k.id))!.last_used_at).toBeNull();
    await t.app.get(ApiKeyAuthenticator).lastUsed.flush();
    const row = await keyRow(k.id);
    expect(row!.last_used_at).not.toBeNull();
    expect(row!.last_used_ip).toBe('127.0.0.1');
  });

  it('suspending the tenant stops its keys at once; reactivating lets them work again', async () => {
    const reseller = await createTenant();
    const child = await createTenant({ parentId: reseller.id });
    const da = await createUser({ tenantId: reseller.id, role: 'domain_admin' });
    const u = await createUser({ tenantId: child.id });
    const k = await createKey(t, u.id, { scopes: ['read'] });
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);
    expect((await t.http.post(`/v1/tenants/${child.id}/suspend`).set(asUser(da.id))).status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    expect((await t.http.post(`/v1/tenants/${child.id}/activate`).set(asUser(da.id))).status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);
  });
});

describe('API rate limits per tenant and per key (platform defaults)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(
      {
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: uniquePrefix(),
        RATE_LIMIT_DEFAULT_PER_MINUTE: '100000',
        RATE_LIMIT_TENANT_PER_MINUTE: undefined,
        RATE_LIMIT_TENANT_BURST: undefined,
        RATE_LIMIT_CREDENTIAL_PER_MINUTE: undefined,
        RATE_LIMIT_CREDENTIAL_BURST: undefined,
      },
      { extraModules: [TestAuthModule] },
    );
  });
  afterAll(() => t.close());

  it('default 100/min with bursts to 200 per tenant: 429 with Retry-After and RateLimit headers', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const first = await t.http.get('/v1/me').set(asUser(u.id));
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"tenant";q=200;w=120');
    expect(first.headers['ratelimit']).toBe('"tenant";r=199;t=1');
    // 200 at once, then one more per 600 ms: the requests below take some time, so a few refill.
    const started = Date.now();
    let allowed = 1;
    let refused = first;
    while (allowed < 400) {
      refused = await t.http.get('/v1/me').set(asUser(u.id));
      if (refused.status !== 200) break;
      allowed++;
    }
    expect(refused.status).toBe(429);
    expect(allowed).toBeGreaterThanOrEqual(200);
    expect(allowed).toBeLessThanOrEqual(200 + Math.ceil((Date.now() - started) / 600));
    expect(refused.body.type).toBe(problem('rate-limited'));
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit']).toMatch(/^"tenant";r=0;t=\d+$/);
    // Another tenant is not affected.
    const other = await createUser({ tenantId: (await createTenant()).id });
    expect((await t.http.get('/v1/me').set(asUser(other.id))).status).toBe(200);
    const audited = await auditRows('rate_limit.exceeded', tenant.id);
    expect(audited).toHaveLength(1);
  });

  it('a tenant sets its own limits; each key has its own bucket inside the tenant’s', async () => {
    // One token a minute refills: the counts below hold however slowly a loaded CI box runs them.
    const tenant = await createTenant({ settings: { rateLimit: { perMinute: 1, burst: 10, credentialPerMinute: 1, credentialBurst: 3 } } });
    const u = await createUser({ tenantId: tenant.id });
    const k1 = await createKey(t, u.id, { scopes: ['read'] });
    const k2 = await createKey(t, u.id, { scopes: ['read'] });
    const r1 = [];
    for (let i = 0; i < 4; i++) r1.push(await t.http.get('/v1/me').set(bearer(k1.key)));
    expect(r1.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(r1[0]!.headers['ratelimit-policy']).toBe('"tenant";q=10;w=600, "api_key";q=3;w=180');
    expect(r1[3]!.headers['ratelimit']).toMatch(/"api_key";r=0;t=\d+/);
    expect(r1[3]!.body.limits).toEqual(['api_key']);
    // The second key has its own bucket; the tenant's (10) runs out after it.
    const r2 = [];
    for (let i = 0; i < 4; i++) r2.push((await t.http.get('/v1/me').set(bearer(k2.key))).status);
    expect(r2).toEqual([200, 200, 200, 429]);
    // The tenant's 10: 2 key creations + 3 + 3 key requests (refusals spend nothing) leave 2.
    const s = [];
    for (let i = 0; i < 3; i++) s.push((await t.http.get('/v1/me').set(asUser(u.id))).status);
    expect(s).toEqual([200, 200, 429]);
  });
});

describeRedis('API keys across two instances sharing PostgreSQL and Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: uniquePrefix() };
    a = await startApp(env, { extraModules: [TestAuthModule] });
    b = await startApp(env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('revoked on one instance, refused on the other at once; rotation too', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const k = await createKey(a, u.id, { scopes: ['read'] });
    const k2 = await createKey(a, u.id, { scopes: ['read'] });
    // Both instances have verified (and cached) the keys.
    for (const t of [a, b]) {
      expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);
      expect((await t.http.get('/v1/me').set(bearer(k2.key))).status).toBe(200);
    }
    expect((await a.http.delete(`/v1/api-keys/${k.id}`).set(asUser(u.id))).status).toBe(204);
    expect((await b.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    const rotated = await a.http.post(`/v1/api-keys/${k2.id}/rotate`).set(asUser(u.id)).send({ overlapSeconds: 0 });
    expect((await b.http.get('/v1/me').set(bearer(k2.key))).status).toBe(401);
    expect((await b.http.get('/v1/me').set(bearer(rotated.body.key))).status).toBe(200);
  });

  it('a key accepted before is decided on what was read then and confirmed by the bucket script: changes on the other instance are seen at once', async () => {
    const tenant = await createTenant();
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const owner = await createUser({ tenantId: tenant.id, role: 'tenant_admin', passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA' });
    const k = await createKey(a, owner.id, { scopes: ['write'] });
    const k2 = await createKey(a, owner.id, { scopes: ['read'] });
    const s2s = await createS2s(a, admin.id, { role: 'member', scopes: ['read'] });
    // Three uses on b: the owner learnt, then the record and the authorization read from the store and remembered.
    for (const key of [k.key, k2.key, s2s.key]) for (let i = 0; i < 3; i++) expect((await b.http.get('/v1/me').set(bearer(key))).status).toBe(200);

    // A wrong secret under a known key id: refused the full way, and the key's bucket is not spent.
    const remaining = async () => Number(/"api_key";r=(\d+)/.exec(String((await b.http.get('/v1/me').set(bearer(k2.key))).headers['ratelimit']))![1]);
    const before = await remaining();
    const forged = formatApiKey(k2.prefix.startsWith('tsr_test_') ? 'test' : 'live', k2.prefix.slice(9));
    for (let i = 0; i < 3; i++) expect((await b.http.get('/v1/me').set(bearer(forged))).status).toBe(401);
    expect(await remaining()).toBeGreaterThanOrEqual(before - 1);
    expect((await auditRows('api_key.authentication_failed', tenant.id)).filter((r) => r.reason === 'wrong_secret')).toHaveLength(3);

    // The owner demoted on a: b's next request has the smaller permissions.
    expect((await b.http.get('/v1/users').set(bearer(k.key))).status).toBe(200);
    expect((await a.http.put(`/v1/users/${owner.id}/roles`).set(asUser(admin.id)).send({ role: 'member', taskRoles: [] })).status).toBe(200);
    expect((await b.http.get('/v1/users').set(bearer(k.key))).status).toBe(403);
    expect((await b.http.get('/v1/me').set(bearer(k.key))).body.permissions).toEqual(['api_keys:read', 'api_keys:write', 'mfa:enroll', 'self:read', 'self:write']);

    // Rotated on a with no overlap: the old secret is refused on b at once, the new one accepted at once.
    const rotated = await a.http.post(`/v1/api-keys/${k2.id}/rotate`).set(asUser(owner.id)).send({ overlapSeconds: 0 });
    expect(rotated.status).toBe(200);
    expect((await b.http.get('/v1/me').set(bearer(k2.key))).status).toBe(401);
    expect((await b.http.get('/v1/me').set(bearer(rotated.body.key))).status).toBe(200);

    // Revoked on a (a key, an S2S token): refused on b at once, audited with the reason.
    expect((await a.http.delete(`/v1/api-keys/${k.id}`).set(asUser(owner.id))).status).toBe(204);
    expect((await a.http.delete(`/v1/s2s-tokens/${s2s.id}`).set(asUser(admin.id))).status).toBe(204);
    expect((await b.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    expect((await b.http.get('/v1/me').set(bearer(s2s.key))).status).toBe(401);
    const reasons = (await auditRows('api_key.authentication_failed', tenant.id)).concat(await auditRows('s2s_token.authentication_failed', tenant.id));
    expect(reasons.filter((r) => r.reason === 'revoked').map((r) => r.credential_id).sort()).toEqual([k.id, s2s.id].sort());
  });
});
