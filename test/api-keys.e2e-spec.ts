import { ApiKeyAuthenticator } from '@tessera/api-keys';
import { PreTenantLookup } from '@tessera/database';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { describeRedis, sql, startApp, TestApp, uniquePrefix } from './support/app';
import { bearer, createKey, createS2s } from './support/machine-helpers';
import { asUser, auditRows, createTenant, createUser, PLATFORM_TENANT_ID, TestAuthModule } from './support/test-auth';

const problem = (code: string) => `urn:tessera:problem:${code}`;

describe('API keys and S2S tokens (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: uniquePrefix() }, { extraModules: [TestAuthModule] });
  });
  afterAll(() => t.close());

  const keyRow = (id: string) => sql<Record<string, unknown>>('select * from api_keys where id = $1', [id]).then((r) => r[0]);

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
});
