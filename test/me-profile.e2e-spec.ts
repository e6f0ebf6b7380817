import { ProfileCache } from '@tessera/sessions';
import Redis from 'ioredis';
import { describeRedis, sql, startApp, TestApp, uniquePrefix } from './support/app';
import { bearer, createKey } from './support/machine-helpers';
import { asUser, createTenant, createUser, TestAuthModule } from './support/test-auth';

/**
 * GET /v1/me is served from the store (ProfileCache), not PostgreSQL: it must still show a
 * rename at once — by the user, by an admin, or of the tenant — because each publishes an
 * event that drops the cached profile. With Redis the profile is read ahead by the API
 * bucket script (@ReadAhead): the same rule holds, and the request costs two round trips.
 */
async function showsRenamesAtOnce(t: TestApp): Promise<void> {
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
}

describe('GET /v1/me profile freshness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_DEFAULT_PER_MINUTE: '100000' }, { extraModules: [TestAuthModule] });
  });
  afterAll(() => t.close());

  it('reads no PostgreSQL once cached, and shows self, admin and tenant renames at once', () => showsRenamesAtOnce(t));
});

describeRedis('GET /v1/me on Redis: profile read ahead with the API buckets', () => {
  const prefix = uniquePrefix();
  let t: TestApp;
  let client: Redis;
  let monitor: Redis;
  let seen: string[][] = [];
  beforeAll(async () => {
    t = await startApp({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: prefix, RATE_LIMIT_DEFAULT_PER_MINUTE: '100000' }, { extraModules: [TestAuthModule] });
    client = new Redis(process.env.REDIS_URL!);
    monitor = await client.monitor();
    // Commands the app sent, not those its scripts ran inside Redis (source "lua").
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((a) => a.startsWith(prefix))) seen.push(args);
    });
  });
  afterAll(async () => {
    monitor.disconnect();
    client.disconnect();
    await t.close();
  });

  /** The commands (names) this app sent Redis for one request, once it is warm. */
  async function commandsOf(send: () => Promise<{ status: number }>): Promise<string[]> {
    // Warm: the first request learns the key's owner, the second reads both from the store.
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    seen = [];
    expect((await send()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    return seen.map((args) => args[0]!.toLowerCase());
  }

  it('shows self, admin and tenant renames at once', () => showsRenamesAtOnce(t));

  it('costs two round trips with an access token (credential lookup, then buckets + profile), one with a known API key', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const key = await createKey(t, u.id, { scopes: ['read'] });
    expect(await commandsOf(() => t.http.get('/v1/me').set(asUser(u.id)))).toEqual(['mget', 'evalsha']);
    // The key was accepted before on this instance: decided on what was read then, confirmed
    // by the bucket script reading the key's record and its owner's authorization again.
    const viaKey = await commandsOf(() => t.http.get('/v1/me').set(bearer(key.key)));
    expect(viaKey).toEqual(['evalsha']);
    // The profile keys and the credential's keys ride on the bucket script, after the buckets.
    const script = seen.find((args) => args[0]!.toLowerCase() === 'evalsha')!;
    expect(script.slice(2)).toEqual(
      expect.arrayContaining([`${prefix}prof:${u.id}`, `${prefix}tprof:${tenant.id}`, `${prefix}ak:${key.prefix.slice(9)}`, `${prefix}authz:${u.id}`]),
    );
    const me = await t.http.get('/v1/me').set(bearer(key.key));
    expect(me.body.user).toMatchObject({ id: u.id });
    expect(me.body.tenant).toMatchObject({ id: tenant.id, slug: tenant.slug });
  });
});
