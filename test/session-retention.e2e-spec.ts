import { SessionRetention } from '@tessera/sessions';
import { sql, startApp, TestApp } from './support/app';
import { runCli } from './support/cli';
import { createScratchDatabase, ScratchDatabase } from './support/scratch-db';
import { auditRows, createTenant, createUser } from './support/test-auth';

const PASSWORD = 'Retention-Test-Passw0rd-42';

/** Ends a session (by revocation or by its idle / absolute end) `daysAgo` days ago. */
async function endSession(sessionId: string, how: 'revoked' | 'idle' | 'absolute', daysAgo: number) {
  const at = `now() - make_interval(days => ${daysAgo})`;
  if (how === 'revoked') await sql(`update sessions set revoked_at = ${at}, revoked_reason = 'logout' where id = $1`, [sessionId]);
  if (how === 'idle') await sql(`update sessions set idle_expires_at = ${at}, last_used_at = ${at} - interval '1 hour' where id = $1`, [sessionId]);
  if (how === 'absolute') await sql(`update sessions set absolute_expires_at = ${at} where id = $1`, [sessionId]);
}

describe('session retention: ended sessions are purged with their refresh tokens, live ones never', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_AUTH_PER_MINUTE: '10000' });
  });
  afterAll(() => t.close());

  async function loginAs(email: string) {
    const res = await t.http.post('/v1/auth/login').send({ email, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  }

  it('deletes sessions ended beyond the retention (revoked, idle, absolute) and their tokens; keeps recent and live ones; audits per tenant', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id, password: PASSWORD });
    const pairs = [];
    for (let i = 0; i < 5; i++) pairs.push(await loginAs(u.email));
    // The live session gets a chain of consumed tokens (kept for reuse detection).
    const refreshed = await t.http.post('/v1/auth/refresh').send({ refresh_token: pairs[4]!.refresh_token });
    expect(refreshed.status).toBe(200);
    const ids = (await sql<{ id: string }>(`select id from sessions where user_id = $1 order by created_at`, [u.id])).map((r) => r.id);
    expect(ids).toHaveLength(5);
    const [revokedOld, idleOld, absoluteOld, revokedRecent, live] = ids as [string, string, string, string, string];
    await endSession(revokedOld, 'revoked', 40);
    await endSession(idleOld, 'idle', 31);
    await endSession(absoluteOld, 'absolute', 45);
    await endSession(revokedRecent, 'revoked', 29);

    const result = await t.app.get(SessionRetention).purge(30);
    expect(result.byTenant[tenant.id]).toBe(3);
    expect(result.deleted).toBeGreaterThanOrEqual(3);

    const left = (await sql<{ id: string }>(`select id from sessions where user_id = $1`, [u.id])).map((r) => r.id).sort();
    expect(left).toEqual([revokedRecent, live].sort());
    const tokens = await sql<{ session_id: string; n: number }>(
      `select session_id, count(*)::int as n from refresh_tokens where tenant_id = $1 group by session_id`,
      [tenant.id],
    );
    expect(Object.fromEntries(tokens.map((r) => [r.session_id, r.n]))).toEqual({ [revokedRecent]: 1, [live]: 2 });

    // The live session still works, and its consumed token is still caught as reuse.
    const again = await t.http.post('/v1/auth/refresh').send({ refresh_token: refreshed.body.refresh_token });
    expect(again.status).toBe(200);
    await sql(`update refresh_tokens set consumed_at = now() - interval '1 minute' where session_id = $1 and consumed_at is not null`, [live]);
    expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: pairs[4]!.refresh_token })).status).toBe(401);
    const [s] = await sql<{ revoked_reason: string }>(`select revoked_reason from sessions where id = $1`, [live]);
    expect(s.revoked_reason).toBe('refresh_token_reuse');

    const rows = await auditRows('session.purge', tenant.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_type: 'system', outcome: 'success', target_type: 'tenant', target_id: tenant.id });
    expect(rows[0].params).toMatchObject({ deleted: 3, retentionDays: 30 });

    // Nothing left to purge for this tenant: no new audit row.
    expect((await t.app.get(SessionRetention).purge(30)).byTenant[tenant.id]).toBeUndefined();
    expect(await auditRows('session.purge', tenant.id)).toHaveLength(1);
  });

  it('refuses a bad retention and deletes nothing; the database function checks its arguments too', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id, password: PASSWORD });
    await loginAs(u.email);
    await sql(`update sessions set revoked_at = now() - interval '400 days' where user_id = $1`, [u.id]);
    for (const bad of [-1, 1.5, Number.NaN]) await expect(t.app.get(SessionRetention).purge(bad)).rejects.toThrow(RangeError);
    expect(await sql(`select id from sessions where user_id = $1`, [u.id])).toHaveLength(1);
    for (const [retention, batch] of [
      [-1, 10],
      [86_400, 0],
      [86_400, 1_000_000],
    ]) {
      await expect(sql(`select * from purge_ended_sessions($1, $2)`, [retention, batch])).rejects.toThrow(/retention >= 0 s and batch/);
    }
    expect(await sql(`select id from sessions where user_id = $1`, [u.id])).toHaveLength(1);
    expect(await auditRows('session.purge', tenant.id)).toHaveLength(0);
  });

  it('the owner role may delete ended sessions only: a live one, or another table, stays out of reach', async () => {
    const tenant = await createTenant();
    const u = await createUser({ tenantId: tenant.id, password: PASSWORD });
    await loginAs(u.email);
    const asOwner = (text: string) => sql(text, [u.id], process.env.TEST_OWNER_DATABASE_URL!);
    await asOwner(`delete from sessions where user_id = $1`);
    expect(await sql(`select id from sessions where user_id = $1`, [u.id])).toHaveLength(1);
    await asOwner(`delete from refresh_tokens where session_id in (select id from sessions where user_id = $1)`);
    expect(await sql(`select id from refresh_tokens where session_id in (select id from sessions where user_id = $1)`, [u.id])).toHaveLength(1);
    await sql(`update sessions set revoked_at = now() where user_id = $1`, [u.id]);
    await asOwner(`delete from sessions where user_id = $1`);
    expect(await sql(`select id from sessions where user_id = $1`, [u.id])).toHaveLength(0);
  });
});

describe('operator CLI: sessions purge', () => {
  let urls: ScratchDatabase;
  const q = <T extends Record<string, unknown> = Record<string, unknown>>(text: string, params: unknown[] = []) => sql<T>(text, params, urls.superUrl);

  const cli = (...args: string[]) => runCli(urls, ...args);

  beforeAll(async () => {
    urls = await createScratchDatabase('tessera_test_retention_cli');
    const [tenant] = await q<{ id: string }>(`insert into tenants (slug, name) values ('retention-co', 'Retention Co') returning id`);
    const [user] = await q<{ id: string }>(
      `insert into users (tenant_id, email, email_normalized, name, status, role) values ($1, 'r@example.com', 'r@example.com', 'R', 'active', 'member') returning id`,
      [tenant!.id],
    );
    for (const [ended, days] of [
      [true, 60],
      [true, 10],
      [false, 0],
    ] as const) {
      const [s] = await q<{ id: string }>(
        `insert into sessions (tenant_id, user_id, method, amr, acr, auth_time, idle_expires_at, absolute_expires_at, revoked_at)
         values ($1, $2, 'password', '{pwd}', 'urn:tessera:acr:password', now(), now() + interval '1 hour', now() + interval '1 day',
                 case when $3 then now() - make_interval(days => $4) end) returning id`,
        [tenant!.id, user!.id, ended, days],
      );
      await q(`insert into refresh_tokens (tenant_id, session_id, token_digest, expires_at) values ($1, $2, md5(random()::text), now() + interval '1 hour')`, [
        tenant!.id,
        s!.id,
      ]);
    }
  }, 60_000);

  afterAll(async () => {
    await urls.drop();
  });

  it('refuses a retention that is not a whole number of days (exit ≠ 0, nothing deleted)', async () => {
    for (const bad of ['-1', 'abc', '1.5']) {
      const res = await cli('sessions', 'purge', '--retention-days', bad);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/--retention-days must be a whole number of days/);
    }
    expect(await q(`select id from sessions`)).toHaveLength(3);
  }, 60_000);

  it('purges what ended more than N days ago, says how much, and audits it as the operator', async () => {
    const res = await cli('sessions', 'purge', '--retention-days', '30');
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/deleted 1 session that ended more than 30 days ago, in 1 tenant/);
    expect(await q(`select id from sessions`)).toHaveLength(2);
    expect(await q(`select id from refresh_tokens`)).toHaveLength(2);
    const audit = await q(`select * from audit_events where action = 'session.purge'`);
    expect(audit).toEqual([expect.objectContaining({ actor_type: 'operator', credential_type: 'cli', outcome: 'success' })]);
  }, 60_000);
});
