import { randomUUID } from 'node:crypto';
import { FixturesModule } from './fixtures/fixtures.controller';
import { describeRedis, sql, startApp, TestApp, uniquePrefix } from './support/app';
import { asUser, createTenant, createUser, TestAuthModule } from './support/test-auth';

async function auditedRequests(ids: string[]): Promise<string[]> {
  const rows = await sql<{ request_id: string }>('select request_id from audit_events where request_id = any($1::text[])', [ids]);
  return rows.map((r) => r.request_id);
}

describe('rate limits (in-memory, embedded default)', () => {
  it('answers 429 with Retry-After past the limit', async () => {
    const t = await startApp({}, { extraModules: [FixturesModule] });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await t.http.get('/test-fixtures/limited')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const refused = await t.http.get('/test-fixtures/limited');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(refused.body.type).toBe('urn:tessera:problem:rate-limited');
    } finally {
      await t.close();
    }
  });

  it('applies the tighter auth limit from configuration to auth routes', async () => {
    const t = await startApp({ RATE_LIMIT_AUTH_PER_MINUTE: '3' }, { extraModules: [FixturesModule] });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await t.http.post('/test-fixtures/echo').send({ email: 'a@b.example', password: 'x' })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('per-IP limit and credentials', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_DEFAULT_PER_MINUTE: '3' }, { extraModules: [FixturesModule, TestAuthModule] });
  });
  afterAll(() => t.close());

  it('does not count authenticated callers per IP (their tenant and credential buckets do)', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await t.http.get('/v1/me').set(asUser(u.id))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('counts refused credentials per IP: past the limit 429, and the refusals stop being audited', async () => {
    const ids = Array.from({ length: 5 }, () => `badtok-${randomUUID()}`);
    const statuses = [];
    for (const id of ids) {
      const res = await t.http.get('/v1/me').set('authorization', 'Bearer not.a-valid.token').set('x-request-id', id);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await auditedRequests(ids)).sort()).toEqual(ids.slice(0, 3).sort());
  });

  it('counts a public route per IP even when a credential is sent to it', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.http.get('/test-fixtures/limited').set('authorization', 'Bearer anything')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect((await t.http.get('/test-fixtures/limited').set('authorization', 'Bearer anything')).status).toBe(429);
  });
});

describeRedis('rate limits shared through Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const prefix = uniquePrefix();
    a = await startApp({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: prefix }, { extraModules: [FixturesModule] });
    b = await startApp({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: prefix }, { extraModules: [FixturesModule] });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('a limit of N is N across two instances, not 2N', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await (i % 2 ? b : a).http.get('/test-fixtures/limited')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429, 429, 429, 429]);
    const refused = await b.http.get('/test-fixtures/limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('fails closed with 503 and Retry-After when Redis is unreachable', async () => {
    const down = await startApp({ REDIS_URL: 'redis://127.0.0.1:1' }, { extraModules: [FixturesModule] });
    try {
      const auth = await down.http.post('/test-fixtures/echo').send({ email: 'a@b.example', password: 'x' });
      expect(auth.status).toBe(503);
      expect(auth.headers['retry-after']).toBe('5');
      expect(auth.body.type).toBe('urn:tessera:problem:service-unavailable');
      expect((await down.http.get('/test-fixtures/limited')).status).toBe(503);
      const ready = await down.http.get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.store).toEqual({ status: 'down', kind: 'redis' });
    } finally {
      await down.close();
    }
  });
});
