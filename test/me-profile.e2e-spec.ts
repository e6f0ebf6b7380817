import { ProfileCache } from '@tessera/sessions';
import { sql, startApp, TestApp } from './support/app';
import { asUser, createTenant, createUser, TestAuthModule } from './support/test-auth';

/**
 * GET /v1/me is served from the store (ProfileCache), not PostgreSQL: it must still show a
 * rename at once — by the user, by an admin, or of the tenant — because each publishes an
 * event that drops the cached profile.
 */
describe('GET /v1/me profile freshness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_DEFAULT_PER_MINUTE: '100000' }, { extraModules: [TestAuthModule] });
  });
  afterAll(() => t.close());

  it('reads no PostgreSQL once cached, and shows self, admin and tenant renames at once', async () => {
    const tenant = await createTenant({ name: 'Old Tenant Name' });
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const u = await createUser({ tenantId: tenant.id, name: 'Old Name' });
    const me = () => t.http.get('/v1/me').set(asUser(u.id));

    expect((await me()).body.user.name).toBe('Old Name');
    // Cached now: a change behind the API's back (SQL) is not seen...
    await sql('update users set name = $1 where id = $2', ['Changed In SQL', u.id]);
    expect((await me()).body.user.name).toBe('Old Name');
    // ...but every change through the API is.
    expect((await t.http.patch('/v1/me').set(asUser(u.id)).send({ name: 'Self Renamed' })).status).toBe(200);
    expect((await me()).body.user.name).toBe('Self Renamed');
    expect((await t.http.patch(`/v1/users/${u.id}`).set(asUser(admin.id)).send({ name: 'Admin Renamed' })).status).toBe(200);
    expect((await me()).body.user.name).toBe('Admin Renamed');
    expect((await t.http.patch(`/v1/tenants/${tenant.id}`).set(asUser(admin.id)).send({ name: 'New Tenant Name' })).status).toBe(200);
    expect((await me()).body.tenant.name).toBe('New Tenant Name');
    expect(ProfileCache.TTL_MS).toBeLessThanOrEqual(60_000);
  });
});
