import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule } from '@tessera/config';
import { DatabaseModule, TenantDb } from '@tessera/database';
import { RequestContextStore } from '@tessera/http';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { verifyAuditChain } from './audit-chain';
import { AuditModule } from './audit.module';
import { AuditService } from './audit.service';
import { TEST_MASTER_KEY, testConfig } from '../../../test/support/config';
import { sql } from '../../../test/support/db';

const exec = promisify(execFile);

/** As a given role (the URL says which), so the tests can show what each role may do. */
const q = <T extends Record<string, unknown> = Record<string, unknown>>(url: string, text: string, params: unknown[] = []) =>
  sql<T>(text, params, url);

describe('audit trail (write side)', () => {
  let ctx: INestApplicationContext;
  let audit: AuditService;
  let db: TenantDb;
  const superUrl = () => process.env.TEST_SUPERUSER_DB_URL!;
  const appUrl = () => process.env.TEST_APP_DATABASE_URL!;
  const ownerUrl = () => process.env.TEST_OWNER_DATABASE_URL!;
  let tenantId: string;
  let slug: string;

  beforeAll(async () => {
    const config = testConfig();
    ctx = await NestFactory.createApplicationContext(
      { module: class TestAuditModule {}, imports: [ConfigModule.forRoot(config), DatabaseModule, AuditModule] },
      { logger: false },
    );
    audit = ctx.get(AuditService);
    db = ctx.get(TenantDb);
    tenantId = randomUUID();
    slug = `audit-${tenantId.slice(0, 8)}`;
    await db.withTenant(tenantId, (em) => em.execute(`insert into tenants (id, slug, name) values (?, ?, 'Audit Co')`, [tenantId, slug]));
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('writes one row with the full shape, request facts from the context, and secrets redacted', async () => {
    await RequestContextStore.run(
      { requestId: 'req-12345678', ip: '203.0.113.7', userAgent: 'jest', method: 'POST', route: '/v1/things' },
      () =>
        audit.record({
          action: 'thing.create',
          outcome: 'success',
          tenantId,
          actor: { type: 'user', id: 'u1' },
          credential: { type: 'access_token', id: 'jti-1' },
          target: { type: 'thing', id: 't1' },
          riskTier: 2,
          params: { name: 'ok', password: 'hunter2hunter2', nested: { client_secret: 's3cr3t', code: 'C0DE-9f8e7d' } },
        }),
    );
    const [row] = await q(superUrl(), `select * from audit_events where tenant_id = $1 and action = 'thing.create'`, [tenantId]);
    expect(row).toMatchObject({
      tenant_id: tenantId,
      seq: '1',
      actor_type: 'user',
      actor_id: 'u1',
      credential_type: 'access_token',
      credential_id: 'jti-1',
      target_type: 'thing',
      target_id: 't1',
      route: '/v1/things',
      method: 'POST',
      ip: '203.0.113.7',
      user_agent: 'jest',
      request_id: 'req-12345678',
      risk_tier: 2,
      decision: 'allow',
      outcome: 'success',
      prev_hash: null,
      params: { name: 'ok', password: '[REDACTED]', nested: { client_secret: '[REDACTED]', code: '[REDACTED]' } },
    });
    expect(row.occurred_at).toBeInstanceOf(Date);
    expect(JSON.stringify(row)).not.toMatch(/hunter2|s3cr3t|C0DE-9f8e7d/);
  });

  it('chains each row to the previous one of its lane (one of the tenant\'s chains)', async () => {
    for (let i = 0; i < 30; i++) await audit.record({ action: 'thing.update', outcome: 'success', tenantId, params: { i } });
    const rows = await q<{ lane: number; seq: string; prev_hash: string | null; hash: string }>(
      superUrl(),
      `select lane, seq, prev_hash, hash from audit_events where tenant_id = $1 order by lane, seq`,
      [tenantId],
    );
    const lanes = new Map<number, typeof rows>();
    for (const r of rows) lanes.set(r.lane, [...(lanes.get(r.lane) ?? []), r]);
    // 31 transactions spread over several of the 16 lanes; each lane is a gapless chain.
    expect(lanes.size).toBeGreaterThan(3);
    for (const chain of lanes.values()) {
      expect(chain.map((r) => Number(r.seq))).toEqual(chain.map((_, i) => i + 1));
      expect(chain[0]!.prev_hash).toBeNull();
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.prev_hash).toBe(chain[i - 1]!.hash);
    }
    expect(await verifyAuditChain(ownerUrl(), tenantId)).toEqual({ tenantId, checked: rows.length, lanes: lanes.size, ok: true });
    expect(rows.length).toBe(31);
  });

  it("keeps each lane's head (last seq and hash) in audit_chain_heads, also under concurrent appends", async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => db.withTenant(tenantId, (em) => audit.record({ action: 'head.check', outcome: 'success', tenantId, params: { i } }, em))),
    );
    const last = await q<{ lane: number; seq: string; hash: string }>(
      superUrl(),
      `select distinct on (lane) lane, seq, hash from audit_events where tenant_id = $1 order by lane, seq desc`,
      [tenantId],
    );
    const heads = await q<{ lane: number; seq: string; hash: string }>(superUrl(), `select lane, seq, hash from audit_chain_heads where chain_key = $1 order by lane`, [tenantId]);
    expect(heads).toEqual(last);
    expect((await verifyAuditChain(ownerUrl(), tenantId)).ok).toBe(true);
    // Only the owner (through audit_append) reaches the heads.
    await expect(q(appUrl(), `select * from audit_chain_heads`)).rejects.toThrow(/permission denied/);
  });

  it('keeps the rows of one transaction in one lane, in order', async () => {
    await db.withTenant(tenantId, async (em) => {
      for (const action of ['tx.one', 'tx.two', 'tx.three']) await audit.record({ action, outcome: 'success', tenantId }, em);
    });
    const rows = await q<{ lane: number; seq: string; action: string }>(
      superUrl(),
      `select lane, seq, action from audit_events where tenant_id = $1 and action like 'tx.%' order by seq`,
      [tenantId],
    );
    expect(new Set(rows.map((r) => r.lane)).size).toBe(1);
    expect(rows.map((r) => r.action)).toEqual(['tx.one', 'tx.two', 'tx.three']);
    expect(Number(rows[2]!.seq) - Number(rows[0]!.seq)).toBe(2);
  });

  it('group-commits concurrent rows that have no transaction of their own', async () => {
    const spy = jest.spyOn(db, 'statement');
    await Promise.all(Array.from({ length: 40 }, (_, i) => audit.record({ action: 'group.row', outcome: 'success', tenantId, params: { i } })));
    // The first row goes alone; the 39 that queued meanwhile go in groups of at most 24
    // (MAX_GROUP): 24, then 15 — each group one statement (one transaction, so one lane, in order).
    expect(spy.mock.calls.length).toBe(3);
    spy.mockRestore();
    const grouped = await q<{ lane: number; seq: string; i: number }>(
      superUrl(),
      `select lane, seq, (params->>'i')::int as i from audit_events where tenant_id = $1 and action = 'group.row' and (params->>'i')::int > 0 order by lane, seq`,
      [tenantId],
    );
    for (const [from, to] of [
      [1, 24],
      [25, 39],
    ]) {
      const group = grouped.filter((r) => r.i >= from! && r.i <= to!);
      expect(new Set(group.map((r) => r.lane)).size).toBe(1);
      expect(group.map((r) => r.i)).toEqual(Array.from({ length: to! - from! + 1 }, (_, k) => from! + k));
    }
    const rows = await q<{ n: number }>(superUrl(), `select count(*)::int as n from audit_events where tenant_id = $1 and action = 'group.row'`, [tenantId]);
    expect(rows[0]!.n).toBe(40);
    expect((await verifyAuditChain(ownerUrl(), tenantId)).ok).toBe(true);
  });

  it('audit_append_many chains interleaved rows of several tenants, each tenant in its own order', async () => {
    const other = randomUUID();
    await db.withTenant(other, (em) => em.execute(`insert into tenants (id, slug, name) values (?, ?, 'Other Co')`, [other, `audit-${other.slice(0, 8)}`]));
    const rows = Array.from({ length: 12 }, (_, i) => ({ tenant_id: i % 3 === 0 ? other : tenantId, action: 'many.row', outcome: 'success', params: { i } }));
    await q(ownerUrl(), `select count(*) from audit_append_many($1::jsonb)`, [JSON.stringify(rows)]);
    for (const t of [tenantId, other]) {
      const written = await q<{ lane: number; seq: string; i: number }>(
        superUrl(),
        `select lane, seq, (params->>'i')::int as i from audit_events where tenant_id = $1 and action = 'many.row' order by seq`,
        [t],
      );
      expect(new Set(written.map((r) => r.lane)).size).toBe(1);
      expect(written.map((r) => r.i)).toEqual(rows.map((r, i) => (r.tenant_id === t ? i : -1)).filter((i) => i >= 0));
      expect(Number(written.at(-1)!.seq) - Number(written[0]!.seq)).toBe(written.length - 1);
      expect((await verifyAuditChain(ownerUrl(), t)).ok).toBe(true);
    }
    // And as the application role inside a tenant transaction, a row of another tenant is refused.
    await expect(
      db.withTenant(tenantId, (em) => em.execute(`select count(*) from audit_append_many(cast(? as jsonb))`, [JSON.stringify([rows[1], rows[0]])])),
    ).rejects.toThrow(/audit row for another tenant/);
  });

  it('a row the database refuses fails only its own caller, not its group', async () => {
    const ok = Array.from({ length: 10 }, (_, i) => audit.record({ action: 'group.fine', outcome: 'success', tenantId, params: { i } }));
    const bad = RequestContextStore.run({ requestId: 'r-bad', ip: 'not-an-address', method: 'GET' }, () =>
      audit.record({ action: 'group.bad', outcome: 'success', tenantId }),
    );
    await expect(Promise.all(ok)).resolves.toHaveLength(10);
    await expect(bad).rejects.toThrow();
    expect(await q(superUrl(), `select 1 from audit_events where tenant_id = $1 and action = 'group.fine'`, [tenantId])).toHaveLength(10);
    expect(await q(superUrl(), `select 1 from audit_events where action = 'group.bad'`)).toHaveLength(0);
  });

  it('is written in the same transaction as the change: a rollback leaves no row', async () => {
    await expect(
      db.withTenant(tenantId, async (em) => {
        await audit.record({ action: 'thing.rolled-back', outcome: 'success', tenantId }, em);
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    const rows = await q(superUrl(), `select 1 from audit_events where action = 'thing.rolled-back'`);
    expect(rows).toHaveLength(0);
  });

  it('is append-only for the application role', async () => {
    await expect(q(appUrl(), `update audit_events set action = 'x'`)).rejects.toThrow(/permission denied/);
    await expect(q(appUrl(), `delete from audit_events`)).rejects.toThrow(/permission denied/);
    await expect(q(appUrl(), `truncate audit_events`)).rejects.toThrow(/permission denied/);
    // Direct inserts would bypass the chain: only audit_append may add rows.
    await expect(
      q(appUrl(), `insert into audit_events (seq, occurred_at, actor_type, action, decision, outcome, hash) values (99, now(), 'x', 'x', 'allow', 'success', 'x')`),
    ).rejects.toThrow(/permission denied/);
  });

  it('refuses an append for another tenant while a tenant is set', async () => {
    const other = randomUUID();
    await expect(
      db.withTenant(tenantId, (em) => em.execute(`select audit_append(cast(? as jsonb))`, [JSON.stringify({ tenant_id: other, action: 'x' })])),
    ).rejects.toThrow(/another tenant/);
  });

  it('verifies a chain that is being written meanwhile (heads and rows read in one snapshot)', async () => {
    const busy = randomUUID();
    await db.withTenant(busy, (em) => em.execute(`insert into tenants (id, slug, name) values (?, ?, 'Busy')`, [busy, `busy-${busy.slice(0, 8)}`]));
    let writing = true;
    const writers = Array.from({ length: 4 }, async () => {
      for (let i = 0; writing; i++) await audit.record({ action: 'busy.row', outcome: 'success', tenantId: busy, params: { i } });
    });
    try {
      for (let round = 0; round < 8; round++) {
        const r = await verifyAuditChain(ownerUrl(), busy);
        expect(r.firstBroken).toBeUndefined();
        expect(r.ok).toBe(true);
      }
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    expect((await verifyAuditChain(ownerUrl(), busy)).ok).toBe(true);
  });

  it('keeps a separate platform chain for events with no tenant', async () => {
    await audit.record({ action: 'access.denied', outcome: 'failure', decision: 'deny', reason: 'missing_credentials' });
    const result = await verifyAuditChain(ownerUrl(), null);
    expect(result.ok).toBe(true);
    expect(result.checked).toBeGreaterThanOrEqual(1);
  });

  describe('tampering is detected', () => {
    let victim: string;
    beforeAll(async () => {
      victim = randomUUID();
      await db.withTenant(victim, (em) => em.execute(`insert into tenants (id, slug, name) values (?, ?, 'Victim')`, [victim, `victim-${victim.slice(0, 8)}`]));
      // One transaction: one lane, seq 1..4.
      await db.withTenant(victim, async (em) => {
        for (const action of ['a.one', 'a.two', 'a.three', 'a.four']) await audit.record({ action, outcome: 'success', tenantId: victim }, em);
      });
    });

    it('reports the first edited row', async () => {
      // A database administrator edits history directly.
      await q(superUrl(), `update audit_events set outcome = 'failure' where tenant_id = $1 and seq = 2`, [victim]);
      const r = await verifyAuditChain(ownerUrl(), victim);
      expect(r.ok).toBe(false);
      expect(r.firstBroken).toMatchObject({ seq: 2, problem: 'row content does not match its hash' });
      expect(r.firstBroken!.lane).toBeGreaterThanOrEqual(0);
      expect(r.checked).toBe(1);
      await q(superUrl(), `update audit_events set outcome = 'success' where tenant_id = $1 and seq = 2`, [victim]);
      expect((await verifyAuditChain(ownerUrl(), victim)).ok).toBe(true);
    });

    it('reports rows deleted from the end of a lane, which leave no gap (the lane head remembers)', async () => {
      const tail = randomUUID();
      await db.withTenant(tail, (em) => em.execute(`insert into tenants (id, slug, name) values (?, ?, 'Tail')`, [tail, `tail-${tail.slice(0, 8)}`]));
      await db.withTenant(tail, async (em) => {
        for (const action of ['t.one', 't.two', 't.three']) await audit.record({ action, outcome: 'success', tenantId: tail }, em);
      });
      expect((await verifyAuditChain(ownerUrl(), tail)).ok).toBe(true);
      await q(superUrl(), `delete from audit_events where tenant_id = $1 and seq = 3`, [tail]);
      expect(await verifyAuditChain(ownerUrl(), tail)).toMatchObject({ ok: false, firstBroken: { seq: 3, id: null, problem: expect.stringMatching(/rows 3–3 are missing/) } });
      // A whole lane deleted is caught the same way.
      await q(superUrl(), `delete from audit_events where tenant_id = $1`, [tail]);
      expect(await verifyAuditChain(ownerUrl(), tail)).toMatchObject({ ok: false, firstBroken: { seq: 1, problem: expect.stringMatching(/rows 1–3 are missing/) } });
    });

    it('reports a deleted row', async () => {
      await q(superUrl(), `delete from audit_events where tenant_id = $1 and seq = 3`, [victim]);
      const r = await verifyAuditChain(ownerUrl(), victim);
      expect(r).toMatchObject({ ok: false, firstBroken: { seq: 3, problem: 'row 3 is missing' } });
    });

    it('the CLI `audit verify` reports it with a non-zero exit code', async () => {
      const env = {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: appUrl(),
        DATABASE_OWNER_URL: ownerUrl(),
        MIGRATE_ON_START: 'false',
        TESSERA_MASTER_KEY: TEST_MASTER_KEY,
      };
      const cli = ['-r', '@swc-node/register', 'apps/cli/src/main.ts', 'audit', 'verify', '--tenant'];
      const broken = await exec('node', [...cli, `victim-${victim.slice(0, 8)}`], { env }).then(
        () => ({ code: 0, stdout: '' }),
        (e: { code: number; stdout: string }) => e,
      );
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/BROKEN .* in lane \d+ at seq 3/);
      const ok = await exec('node', [...cli, slug], { env });
      expect(ok.stdout).toMatch(/audit chain OK: \d+ events verified/);
    }, 60_000);
  });
});
