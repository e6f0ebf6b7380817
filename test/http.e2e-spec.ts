import { randomUUID } from 'node:crypto';
import { FixturesModule } from './fixtures/fixtures.controller';
import { LogCapture, sql, startApp, TestApp } from './support/app';

const PROBLEM = 'application/problem+json; charset=utf-8';

async function auditByRequestId(requestId: string) {
  return sql<{ ip: string; action: string; decision: string; reason: string; route: string; tenant_id: string | null }>(
    'select host(ip) as ip, action, decision, reason, route, tenant_id from audit_events where request_id = $1',
    [requestId],
  );
}

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ BODY_LIMIT_BYTES: '2048', CORS_ORIGINS: 'https://app.example' }, { extraModules: [FixturesModule] });
  });
  afterAll(() => t.close());

  describe('RFC 9457 problems', () => {
    it('answers an unknown route with a problem, no internals', async () => {
      const res = await t.http.get('/nope');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.body).toMatchObject({ type: 'urn:tessera:problem:not-found', title: 'Not found', status: 404 });
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(JSON.stringify(res.body)).not.toMatch(/stack|at Object|node_modules/);
    });

    it('lists every invalid field, never echoing values', async () => {
      const res = await t.http.post('/test-fixtures/echo').send({ email: 'not-an-email', password: 42 });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.body.type).toBe('urn:tessera:problem:validation-failed');
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'password']);
      expect(JSON.stringify(res.body)).not.toContain('not-an-email');
    });

    it('refuses unknown fields (mass assignment)', async () => {
      const res = await t.http.post('/test-fixtures/echo').send({ email: 'a@b.example', password: 'x', tenantId: randomUUID() });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'tenantId', messages: ['property tenantId should not exist'] }]);
    });

    it('refuses malformed JSON with a problem', async () => {
      const res = await t.http.post('/test-fixtures/echo').set('content-type', 'application/json').send('{"email": ');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
    });

    it('refuses a body over the limit with 413 before the handler runs', async () => {
      const res = await t.http.post('/test-fixtures/echo').send({ email: 'a@b.example', password: 'x'.repeat(5000) });
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.body.type).toBe('urn:tessera:problem:payload-too-large');
    });
  });

  describe('request ids', () => {
    it('mints one when none is sent', async () => {
      const res = await t.http.get('/health/live');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
    it('accepts a well-formed incoming id', async () => {
      const res = await t.http.get('/health/live').set('x-request-id', 'edge-req-0001');
      expect(res.headers['x-request-id']).toBe('edge-req-0001');
    });
    it('replaces a malformed one', async () => {
      const res = await t.http.get('/health/live').set('x-request-id', 'bad id <script>"quoted"');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  it('sends the OWASP REST security headers on JSON answers, nothing HTML-only', async () => {
    const res = await t.http.get('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-dns-prefetch-control']).toBeUndefined();
    expect(res.headers['origin-agent-cluster']).toBeUndefined();
  });

  it("sends helmet's page headers on the /docs UI, whose scripts and styles load from 'self'", async () => {
    const res = await t.http.get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it('lets cacheable public documents (JWKS) replace the default no-store', async () => {
    const res = await t.http.get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+/);
  });

  it('allows CORS only for configured origins', async () => {
    const ok = await t.http.options('/health/live').set('origin', 'https://app.example').set('access-control-request-method', 'GET');
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await t.http.options('/health/live').set('origin', 'https://evil.example').set('access-control-request-method', 'GET');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  describe('deny by default', () => {
    it('refuses a route without @Public() and no credential: 401, WWW-Authenticate, audited', async () => {
      const id = `deny-${randomUUID()}`;
      const res = await t.http.get('/test-fixtures/protected').set('x-request-id', id);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.body.secret).toBeUndefined();
      const rows = await auditByRequestId(id);
      expect(rows).toEqual([
        expect.objectContaining({ action: 'access.denied', decision: 'deny', reason: 'missing_credentials', route: '/test-fixtures/protected', tenant_id: null }),
      ]);
    });

    it('refuses a credential no authenticator accepts with invalid_token', async () => {
      const res = await t.http.get('/test-fixtures/protected').set('authorization', 'Bearer whatever.this.is');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });

    it('refuses a token in the query string', async () => {
      const res = await t.http.get('/test-fixtures/protected?access_token=abc');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    });
  });

  describe('operations endpoints', () => {
    it('live and ready answer 200 with the checks', async () => {
      expect((await t.http.get('/health/live')).body).toEqual({ status: 'ok' });
      const ready = await t.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.database).toEqual({ status: 'up' });
      expect(ready.body.checks.store.status).toBe('up');
    });

    it('exposes Prometheus metrics by route pattern and status', async () => {
      await t.http.get('/health/live');
      const res = await t.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toMatch(/tessera_http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/);
      expect(res.text).toMatch(/tessera_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health\/live",status="200"\}/);
    });

    it('serves the OpenAPI document and UI', async () => {
      const json = await t.http.get('/docs/json');
      expect(json.status).toBe(200);
      expect(json.body.openapi).toMatch(/^3\./);
      expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready', '/metrics']));
      const ui = await t.http.get('/docs');
      expect(ui.status).toBe(200);
      expect(ui.text).toMatch(/swagger/i);
    });
  });
});

describe('client IP resolution', () => {
  it('ignores X-Forwarded-For from an untrusted peer (default: trust none) for audit, logs and limits', async () => {
    const logs = new LogCapture();
    const t = await startApp({ LOG_LEVEL: 'info' }, { extraModules: [FixturesModule], logs });
    try {
      const id = `ip-${randomUUID()}`;
      await t.http.get('/test-fixtures/protected').set('x-forwarded-for', '198.51.100.66').set('x-request-id', id);
      const [row] = await auditByRequestId(id);
      expect(row.ip).toBe('127.0.0.1');
      const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.reqId === id);
      expect(line.ip).toBe('127.0.0.1');
      // A fresh forged address per request does not buy a fresh rate-limit bucket.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await t.http.get('/test-fixtures/limited').set('x-forwarded-for', `203.0.113.${i + 1}`)).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      await t.close();
    }
  });

  it('uses the right hop through trusted proxies', async () => {
    const t = await startApp({ TRUSTED_PROXIES: '127.0.0.1/32,10.0.0.0/8' }, { extraModules: [FixturesModule] });
    try {
      const id = `ip-${randomUUID()}`;
      // client-forged, real client, inner proxy → the rightmost address not trusted is the client.
      await t.http
        .get('/test-fixtures/protected')
        .set('x-forwarded-for', '192.0.2.1, 198.51.100.23, 10.1.2.3')
        .set('x-request-id', id);
      const [row] = await auditByRequestId(id);
      expect(row.ip).toBe('198.51.100.23');
    } finally {
      await t.close();
    }
  });
});

describe('log redaction', () => {
  it('logs neither a bearer token nor a password, even at trace level', async () => {
    const logs = new LogCapture();
    const t = await startApp({ LOG_LEVEL: 'trace' }, { extraModules: [FixturesModule], logs });
    try {
      const token = 'eyJhbGciOiJFUzI1NiJ9.SECRET-TOKEN-PAYLOAD.sig';
      const password = 'Very-Secret-Pass-4242';
      await t.http.post('/test-fixtures/echo').set('authorization', `Bearer ${token}`).set('cookie', `sid=${token}`).send({ email: 'a@b.example', password });
      await t.http.post('/test-fixtures/echo').send({ email: 'bad', password });
      await t.http.get('/test-fixtures/protected').set('authorization', `Bearer ${token}`);
      await t.http.get(`/test-fixtures/protected?code=${password}&token=${token}`);
      const text = logs.text();
      expect(text).toContain('request completed');
      expect(text).not.toContain('SECRET-TOKEN-PAYLOAD');
      expect(text).not.toContain(password);
    } finally {
      await t.close();
    }
  });
});
