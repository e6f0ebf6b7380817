import { AuditEntry, AuditService } from '@tessera/audit';
import { AUDIT_CSV_COLUMNS } from '@tessera/audit-events';
import { TenantDb } from '@tessera/database';
import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { sql, startApp, TestApp } from './support/app';
import { asUser, auditRows, createTenant, createUser, TestAuthModule } from './support/test-auth';

const problem = (code: string) => `urn:tessera:problem:${code}`;

const EVENT_KEYS = [
  'action',
  'actor',
  'credential',
  'decision',
  'hash',
  'id',
  'ip',
  'lane',
  'method',
  'occurredAt',
  'outcome',
  'params',
  'prevHash',
  'reason',
  'requestId',
  'riskTier',
  'route',
  'seq',
  'target',
  'tenantId',
  'userAgent',
];

interface EventJson {
  id: string;
  tenantId: string | null;
  lane: number;
  seq: number;
  occurredAt: string;
  actor: { type: string; id: string | null };
  credential: { type: string | null; id: string | null; test: boolean };
  action: string;
  target: { type: string | null; id: string | null };
  params: Record<string, unknown>;
  outcome: string;
  decision: string;
  reason: string | null;
  hash: string;
  prevHash: string | null;
}

/** A minimal RFC 4180 reader: quoted cells with doubled quotes, CRLF records, embedded newlines. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      records.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) throw new Error('CSV does not end with CRLF');
  return records;
}

/** Newest first by (occurredAt, id), strictly: no duplicates, no disorder. */
function expectNewestFirst(items: Pick<EventJson, 'occurredAt' | 'id'>[]) {
  for (let i = 1; i < items.length; i++) {
    const [a, b] = [items[i - 1], items[i]];
    expect(a.occurredAt > b.occurredAt || (a.occurredAt === b.occurredAt && a.id > b.id)).toBe(
      true,
    );
  }
}

describe('audit events (query and export)', () => {
  let t: TestApp;
  let audit: AuditService;
  /** Unique action prefix of this run: parallel files and earlier runs never match it. */
  const P = `t${randomBytes(4).toString('hex')}`;

  let tenantA: { id: string; slug: string };
  let tenantA1: { id: string; slug: string };
  let tenantA2: { id: string; slug: string };
  let tenantB: { id: string; slug: string };
  let adminA: { id: string };
  let memberA: { id: string };
  let domainA: { id: string };
  let adminB: { id: string };

  const list = (userId: string, query: Record<string, string | number | boolean> = {}) =>
    t.http.get('/v1/audit-events').query(query).set(asUser(userId));

  /** Raw body as text whatever the content type (supertest does not buffer ndjson). */
  const download = (userId: string, query: Record<string, string | number | boolean>) =>
    t.http
      .get('/v1/audit-events/export')
      .query(query)
      .set(asUser(userId))
      .buffer(true)
      .parse((res, cb) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => cb(null, text));
      });

  /** Every page of a query, following nextCursor. */
  async function walk(
    userId: string,
    query: Record<string, string | number | boolean>,
  ): Promise<EventJson[]> {
    const items: EventJson[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const res = await list(userId, { ...query, ...(cursor ? { cursor } : {}) }).expect(200);
      items.push(...(res.body.items as EventJson[]));
      cursor = res.body.nextCursor ?? undefined;
      if (!cursor) return items;
    }
    throw new Error('pagination did not end');
  }

  const record = (tenantId: string, entry: Omit<AuditEntry, 'tenantId'>) =>
    audit.record({ ...entry, tenantId });

  beforeAll(async () => {
    t = await startApp(
      { RATE_LIMIT_DEFAULT_PER_MINUTE: '100000' },
      { extraModules: [TestAuthModule] },
    );
    audit = t.app.get(AuditService);
    tenantA = await createTenant();
    tenantA1 = await createTenant({ parentId: tenantA.id });
    tenantA2 = await createTenant({ parentId: tenantA1.id });
    tenantB = await createTenant();
    // Each active user gets a real session: one `auth.login` row in its tenant.
    adminA = await createUser({ tenantId: tenantA.id, role: 'tenant_admin' });
    memberA = await createUser({ tenantId: tenantA.id, role: 'member' });
    domainA = await createUser({ tenantId: tenantA.id, role: 'domain_admin' });
    adminB = await createUser({ tenantId: tenantB.id, role: 'tenant_admin' });
    await createUser({ tenantId: tenantA1.id, role: 'member' });
    await createUser({ tenantId: tenantA2.id, role: 'member' });

    // 12 rows in A covering every filter dimension.
    for (let i = 0; i < 12; i++) {
      await record(tenantA.id, {
        action: [`${P}.alpha`, `${P}.beta.one`, `${P}.beta.two`][i % 3],
        outcome: i % 2 ? 'failure' : 'success',
        decision: i % 4 === 3 ? 'deny' : 'allow',
        actor: i % 5 === 0 ? { type: 'operator', id: 'cli' } : { type: 'user', id: `u${i % 2}` },
        target: { type: i < 6 ? 'doc' : 'file', id: `t${i % 3}` },
        params: { i },
      });
    }
    for (const tenant of [tenantA1, tenantA2, tenantB]) {
      for (let i = 0; i < 3; i++)
        await record(tenant.id, { action: `${P}.alpha`, outcome: 'success', params: { i } });
    }
  });

  afterAll(() => t.close());

  it('returns every column of the row shape, newest first', async () => {
    const res = await list(adminA.id, { action: `${P}.*` }).expect(200);
    expect(res.body.items).toHaveLength(12);
    expect(res.body.nextCursor).toBeNull();
    const item = res.body.items[0] as EventJson;
    expect(Object.keys(item).sort()).toEqual(EVENT_KEYS);
    const [row] = await sql(
      `select *, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at from audit_events where id = $1`,
      [item.id],
    );
    expect(item).toEqual({
      id: row.id,
      tenantId: tenantA.id,
      lane: row.lane,
      seq: Number(row.seq),
      occurredAt: row.at,
      actor: { type: row.actor_type, id: row.actor_id },
      credential: { type: null, id: null, test: false },
      action: row.action,
      target: { type: row.target_type, id: row.target_id },
      route: null,
      method: null,
      ip: null,
      userAgent: null,
      requestId: null,
      params: { i: 11 },
      riskTier: null,
      decision: row.decision,
      outcome: row.outcome,
      reason: null,
      hash: row.hash,
      prevHash: row.prev_hash,
    });
    expectNewestFirst(res.body.items);
  });

  it('shows the request facts of rows written during a request (auth.login of a real session)', async () => {
    const res = await list(adminA.id, { action: 'auth.login', actorId: adminA.id }).expect(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({
      tenantId: tenantA.id,
      action: 'auth.login',
      outcome: 'success',
    });
  });

  describe('filters narrow correctly', () => {
    let all: EventJson[];
    beforeAll(async () => {
      all = (await list(adminA.id, { action: `${P}.*`, limit: 500 }).expect(200)).body.items;
      expect(all).toHaveLength(12);
    });

    const ids = (items: EventJson[]) => items.map((i) => i.id).sort();
    const check = async (query: Record<string, string>, pred: (e: EventJson) => boolean) => {
      const res = await list(adminA.id, { action: `${P}.*`, ...query }).expect(200);
      const expected = all.filter(pred);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(all.length);
      expect(ids(res.body.items)).toEqual(ids(expected));
    };

    it('action: exact and trailing-* prefix', async () => {
      await check({ action: `${P}.alpha` }, (e) => e.action === `${P}.alpha`);
      await check({ action: `${P}.beta.*` }, (e) => e.action.startsWith(`${P}.beta.`));
      // `_` and `%` are literal in a prefix, not LIKE wildcards.
      expect((await list(adminA.id, { action: `${P}_beta.*` }).expect(200)).body.items).toEqual([]);
      expect((await list(adminA.id, { action: `${P}.beta` }).expect(200)).body.items).toEqual([]);
    });
    it('actorId and actorType', async () => {
      await check({ actorId: 'u1' }, (e) => e.actor.id === 'u1');
      await check({ actorType: 'operator' }, (e) => e.actor.type === 'operator');
    });
    it('outcome and decision', async () => {
      await check({ outcome: 'failure' }, (e) => e.outcome === 'failure');
      await check({ decision: 'deny' }, (e) => e.decision === 'deny');
    });
    it('targetType and targetId', async () => {
      await check({ targetType: 'file' }, (e) => e.target.type === 'file');
      await check({ targetId: 't2' }, (e) => e.target.id === 't2');
      await check(
        { targetType: 'doc', targetId: 't0' },
        (e) => e.target.type === 'doc' && e.target.id === 't0',
      );
    });
    it('from (inclusive) and to (exclusive)', async () => {
      const pivot = all[5].occurredAt;
      await check({ from: pivot }, (e) => e.occurredAt >= pivot);
      await check({ to: pivot }, (e) => e.occurredAt < pivot);
      await check(
        { from: all[9].occurredAt, to: pivot },
        (e) => e.occurredAt >= all[9].occurredAt && e.occurredAt < pivot,
      );
      await check(
        { from: '2000-01-01T00:00:00Z', outcome: 'success' },
        (e) => e.outcome === 'success',
      );
    });
  });

  describe('pagination', () => {
    it('walks every row exactly once, in order, with an opaque cursor', async () => {
      for (let i = 0; i < 25; i++)
        await record(tenantA.id, { action: `${P}.page`, outcome: 'success' });
      const items = await walk(adminA.id, { action: `${P}.page`, limit: 7 });
      const inDb = await sql<{ id: string }>(
        `select id from audit_events where tenant_id = $1 and action = $2`,
        [tenantA.id, `${P}.page`],
      );
      expect(items).toHaveLength(25);
      expect(new Set(items.map((i) => i.id)).size).toBe(25);
      expect(items.map((i) => i.id).sort()).toEqual(inDb.map((r) => r.id).sort());
      expectNewestFirst(items);
    });

    it('defaults to 50 per page and refuses a forged cursor', async () => {
      const res = await list(adminA.id).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(50);
      for (const cursor of [
        'not-a-cursor',
        Buffer.from('["2026-01-01", "x"]').toString('base64url'),
      ]) {
        const bad = await list(adminA.id, { cursor }).expect(400);
        expect(bad.body.type).toBe(problem('invalid-cursor'));
      }
    });
  });

  describe('validation', () => {
    it.each([
      [{ from: 'yesterday' }],
      [{ to: '2026-13-45T00:00:00Z' }],
      [{ outcome: 'maybe' }],
      [{ decision: 'perhaps' }],
      [{ actorType: 'robot' }],
      [{ limit: 501 }],
      [{ limit: 0 }],
      [{ subtree: 'yes' }],
      [{ tenantId: 'not-a-uuid' }],
      [{ action: 'auth.*.x' }],
      [{ sort: 'asc' }],
    ])('%j → 400 validation-failed', async (query) => {
      const res = await list(adminA.id, query).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.type).toBe(problem('validation-failed'));
    });

    it('from not before to → 400 invalid-time-range (list and export, nothing exported)', async () => {
      const q = { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' };
      expect((await list(adminA.id, q).expect(400)).body.type).toBe(problem('invalid-time-range'));
      const before = (await auditRows('audit.export', tenantA.id)).length;
      const res = await t.http
        .get('/v1/audit-events/export')
        .query(q)
        .set(asUser(adminA.id))
        .expect(400);
      expect(res.body.type).toBe(problem('invalid-time-range'));
      expect(await auditRows('audit.export', tenantA.id)).toHaveLength(before);
    });

    it('export refuses an unknown format and unknown parameters', async () => {
      for (const query of [{ format: 'xlsx' }, { limit: 10 }, { cursor: 'x' }]) {
        const res = await t.http
          .get('/v1/audit-events/export')
          .query(query)
          .set(asUser(adminA.id))
          .expect(400);
        expect(res.body.type).toBe(problem('validation-failed'));
      }
    });
  });

  describe('scope', () => {
    it("a tenant admin sees only its own tenant's rows", async () => {
      const items = await walk(adminA.id, { limit: 500 });
      expect(items.length).toBeGreaterThan(12);
      expect(items.every((i) => i.tenantId === tenantA.id)).toBe(true);
      const b = await walk(adminB.id, { action: `${P}.*` });
      expect(b).toHaveLength(3);
      expect(b.every((i) => i.tenantId === tenantB.id)).toBe(true);
    });

    it('?tenantId= of another tenant → 403, nothing returned, access.denied audited', async () => {
      for (const [userId, target] of [
        [adminA.id, tenantB.id],
        [adminA.id, tenantA1.id], // a tenant admin does not reach descendants
        [adminB.id, tenantA.id],
        [domainA.id, tenantB.id], // a domain admin reaches its subtree only
      ]) {
        const res = await list(userId, { tenantId: target }).expect(403);
        expect(res.body.type).toBe(problem('forbidden'));
        expect(res.body.items).toBeUndefined();
        const exp = await t.http
          .get('/v1/audit-events/export')
          .query({ tenantId: target })
          .set(asUser(userId))
          .expect(403);
        expect(exp.headers['content-disposition']).toBeUndefined();
        const denied = await sql(
          `select * from audit_events where action = 'access.denied' and actor_id = $1 and target_id = $2`,
          [userId, target],
        );
        expect(denied.length).toBe(2);
        expect(denied[0]).toMatchObject({
          decision: 'deny',
          outcome: 'failure',
          target_type: 'tenant',
        });
      }
    });

    it('subtree=true needs domain_admin (403 and audited for a tenant admin)', async () => {
      const res = await list(adminA.id, { subtree: true }).expect(403);
      expect(res.body.items).toBeUndefined();
      const denied = await sql(
        `select reason from audit_events where action = 'access.denied' and actor_id = $1 and reason like 'subtree%'`,
        [adminA.id],
      );
      expect(denied).toHaveLength(1);
    });

    it("a domain admin reads a child tenant's rows with ?tenantId=", async () => {
      const items = await walk(domainA.id, { tenantId: tenantA1.id, action: `${P}.*` });
      expect(items).toHaveLength(3);
      expect(items.every((i) => i.tenantId === tenantA1.id)).toBe(true);
      const grandchild = await walk(domainA.id, { tenantId: tenantA2.id, limit: 500 });
      expect(grandchild.length).toBeGreaterThan(0);
      expect(grandchild.every((i) => i.tenantId === tenantA2.id)).toBe(true);
    });

    it('a domain admin reads its whole subtree with subtree=true, paginated across tenants exactly once', async () => {
      const items = await walk(domainA.id, { subtree: true, action: `${P}.alpha`, limit: 2 });
      const expected = await sql<{ id: string }>(
        `select id from audit_events where action = $1 and tenant_id = any($2::uuid[])`,
        [`${P}.alpha`, [tenantA.id, tenantA1.id, tenantA2.id]],
      );
      expect(expected).toHaveLength(4 + 3 + 3);
      expect(items.map((i) => i.id).sort()).toEqual(expected.map((r) => r.id).sort());
      expect(new Set(items.map((i) => i.tenantId))).toEqual(
        new Set([tenantA.id, tenantA1.id, tenantA2.id]),
      );
      expectNewestFirst(items);
      // From the child down, the parent is out of the scope.
      const fromChild = await walk(domainA.id, {
        subtree: true,
        tenantId: tenantA1.id,
        action: `${P}.alpha`,
      });
      expect(new Set(fromChild.map((i) => i.tenantId))).toEqual(
        new Set([tenantA1.id, tenantA2.id]),
      );
    });
  });

  it('a member → 403 on list and export, audited by the guard', async () => {
    for (const path of ['/v1/audit-events', '/v1/audit-events/export']) {
      const res = await t.http.get(path).set(asUser(memberA.id)).expect(403);
      expect(res.body.type).toBe(problem('forbidden'));
    }
    const denied = await sql(
      `select reason from audit_events where action = 'access.denied' and actor_id = $1`,
      [memberA.id],
    );
    expect(denied.map((r) => r.reason)).toEqual([
      'missing permission audit:read',
      'missing permission audit:export',
    ]);
    expect(
      await auditRows('audit.export', tenantA.id).then((rows) =>
        rows.filter((r) => r.actor_id === memberA.id),
      ),
    ).toEqual([]);
  });

  it('no credential → 401', async () => {
    await t.http.get('/v1/audit-events').expect(401);
    await t.http.get('/v1/audit-events/export').expect(401);
  });

  describe('export', () => {
    it('ndjson: one event per line, same rows and order as the query, as an attachment', async () => {
      const filter = { action: `${P}.*` };
      const expected = await walk(adminA.id, { ...filter, limit: 500 });
      const res: Response = await download(adminA.id, { ...filter, format: 'ndjson' }).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const today = new Date().toISOString().slice(0, 10);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="audit-${tenantA.slug}-${today}.ndjson"`,
      );
      const text = res.body as string;
      expect(text.endsWith('\n')).toBe(true);
      const lines = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as EventJson);
      expect(lines).toHaveLength(expected.length);
      expect(lines).toEqual(expected);
    });

    it('is audited before streaming: who exported which filter', async () => {
      const res = await download(adminA.id, {
        outcome: 'failure',
        targetType: 'doc',
        format: 'csv',
      }).expect(200);
      const rows = (await auditRows('audit.export', tenantA.id)).filter(
        (r) => r.actor_id === adminA.id,
      );
      const last = rows[rows.length - 1];
      expect(last).toMatchObject({
        actor_type: 'user',
        credential_type: 'access_token',
        target_type: 'tenant',
        target_id: tenantA.id,
        route: '/v1/audit-events/export',
        method: 'GET',
        decision: 'allow',
        outcome: 'success',
        params: {
          format: 'csv',
          subtree: false,
          tenants: 1,
          filter: { outcome: 'failure', targetType: 'doc' },
        },
      });
      // The export row was written first, so an unfiltered export would include it; this one's filter excludes it.
      expect(
        parseCsv(res.body as string)
          .slice(1)
          .every((r) => r[AUDIT_CSV_COLUMNS.indexOf('outcome')] === 'failure'),
      ).toBe(true);
    });

    it('csv: header, RFC 4180 quoting, params as JSON, formula injection neutralised', async () => {
      const action = `${P}.csv`;
      await record(tenantA.id, {
        action,
        outcome: 'failure',
        actor: { type: 'user', id: '@SUM(1+1)' },
        target: { type: 'doc', id: '=HYPERLINK("http://evil.test","x")' },
        params: { note: '=cmd()', text: 'a,b "q"\r\nline2' },
        reason: '=cmd()',
      });
      await record(tenantA.id, {
        action,
        outcome: 'success',
        target: { type: 'doc', id: '-2+3' },
        reason: '\tTAB',
      });
      const res: Response = await download(adminA.id, { action, format: 'csv' }).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(
        new RegExp(`^attachment; filename="audit-${tenantA.slug}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
      );
      const [header, ...rows] = parseCsv(res.body as string);
      expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
      expect(rows).toHaveLength(2);
      const col = (r: string[], name: (typeof AUDIT_CSV_COLUMNS)[number]) =>
        r[AUDIT_CSV_COLUMNS.indexOf(name)];
      const [second, first] = rows; // newest first
      expect(col(first, 'reason')).toBe("'=cmd()");
      expect(col(first, 'actor_id')).toBe("'@SUM(1+1)");
      expect(col(first, 'target_id')).toBe(`'=HYPERLINK("http://evil.test","x")`);
      expect(col(second, 'target_id')).toBe("'-2+3");
      expect(col(second, 'reason')).toBe("'\tTAB");
      // params is one JSON cell: it starts with `{`, so a spreadsheet shows it as text, and it round-trips.
      expect(JSON.parse(col(first, 'params'))).toEqual({
        note: '=cmd()',
        text: 'a,b "q"\r\nline2',
      });
      expect(col(first, 'credential_test')).toBe('false');
      expect(col(first, 'tenant_id')).toBe(tenantA.id);
      for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    });

    it('a domain admin exports its subtree', async () => {
      const res = await download(domainA.id, {
        subtree: true,
        action: `${P}.alpha`,
        format: 'ndjson',
      }).expect(200);
      const lines = (res.body as string)
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as EventJson);
      expect(lines).toHaveLength(10);
      expect(new Set(lines.map((l) => l.tenantId))).toEqual(
        new Set([tenantA.id, tenantA1.id, tenantA2.id]),
      );
      expectNewestFirst(lines);
    });

    it('streams a large export (3,000 rows) completely, in order, chunked', async () => {
      const tenantC = await createTenant();
      const adminC = await createUser({ tenantId: tenantC.id, role: 'tenant_admin' });
      const action = `${P}.bulk`;
      await t.app.get(TenantDb).withTenant(tenantC.id, async (em) => {
        for (let i = 0; i < 3000; i++)
          await audit.record(
            { action, outcome: 'success', tenantId: tenantC.id, params: { i } },
            em,
          );
      });
      const res: Response = await download(adminC.id, { action, format: 'ndjson' }).expect(200);
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-length']).toBeUndefined();
      const lines = (res.body as string)
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as EventJson);
      expect(lines).toHaveLength(3000);
      expect(new Set(lines.map((l) => l.id)).size).toBe(3000);
      expectNewestFirst(lines);
      // Appended in one transaction: 3,000 consecutive links of one lane's chain, none missing.
      expect(new Set(lines.map((l) => l.lane)).size).toBe(1);
      const seqs = lines.map((l) => l.seq);
      expect(new Set(seqs).size).toBe(3000);
      expect(Math.max(...seqs) - Math.min(...seqs)).toBe(2999);

      const csv = await download(adminC.id, { action, format: 'csv' }).expect(200);
      expect(parseCsv(csv.body as string)).toHaveLength(3001);
    }, 120_000);
  });
});
