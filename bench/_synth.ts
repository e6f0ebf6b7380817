import { Client } from 'pg';
import { createHmac, randomBytes } from 'node:crypto';
import { provisionDatabase, runMigrations } from '@tessera/database';
import { readFileSync } from 'node:fs';

const dig = (s: string) => createHmac('sha256', 'k').update(s).digest('base64url');
async function backendCpu(c: Client): Promise<number> {
  const pid = (await c.query('select pg_backend_pid() as p')).rows[0].p;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // ms (utime+stime, 100 Hz)
}
async function main() {
  const admin = 'postgres://postgres@127.0.0.1:5432/test';
  const name = 'synth_' + randomBytes(3).toString('hex');
  const urls = await provisionDatabase({ adminUrl: admin, database: name, ownerPassword: 'o', appPassword: 'a', recreate: true });
  await runMigrations(urls.ownerUrl);
  const su = new Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${name}` });
  await su.connect();
  const tenant = (await su.query(`insert into tenants (slug, name, parent_id, status) values ('s1','S', '00000000-0000-0000-0000-000000000001', 'active') returning id`)).rows[0].id;
  const N = 50;
  const tokens: string[] = [];
  for (let i = 0; i < N; i++) {
    const u = (await su.query(`insert into users (tenant_id, email, email_normalized, name, status, role) values ($1, $2, $2, 'x', 'active', 'member') returning id`, [tenant, `u${i}@x.test`])).rows[0].id;
    const s = (await su.query(`insert into sessions (tenant_id, user_id, method, amr, acr, auth_time, idle_expires_at, absolute_expires_at) values ($1,$2,'password','{pwd}','aal1',now(), now()+interval '1 hour', now()+interval '1 day') returning id`, [tenant, u])).rows[0].id;
    const t = randomBytes(32).toString('base64url');
    await su.query(`insert into refresh_tokens (tenant_id, session_id, token_digest, expires_at) values ($1,$2,$3, now()+interval '1 hour')`, [tenant, s, dig(t)]);
    tokens.push(t);
  }
  const app = new Client({ connectionString: urls.appUrl });
  await app.connect();
  const mode = process.argv[2] ?? 'group';
  const rounds = 40;
  const t0 = await backendCpu(app);
  const w0 = Date.now();
  for (let r = 0; r < rounds; r++) {
    const items = tokens.map((t) => { const n = randomBytes(32).toString('base64url'); return { t, n }; });
    if (mode === 'group') {
      const res = await app.query('select * from refresh_rotate_many($1::jsonb, 10) order by ord', [JSON.stringify(items.map((x) => ({ d: dig(x.t), n: dig(x.n), c: { ip: '127.0.0.1', route: '/v1/auth/refresh', method: 'POST', user_agent: 'bench', request_id: 'r' } })))]);
      if (res.rows.some((x) => x.outcome !== 'ok')) throw new Error('bad ' + JSON.stringify(res.rows[0]));
    } else if (mode === 'audit') {
      await app.query('begin');
      await app.query(`select set_config('app.tenant_id', $1, true)`, [tenant]);
      await app.query(`select audit_append(e) from jsonb_array_elements($1::jsonb) e`, [JSON.stringify(items.map(() => ({ tenant_id: tenant, action: 'auth.refresh', outcome: 'success', actor_type: 'user', actor_id: tenant, credential_type: 'refresh_token', credential_id: tenant, target_type: 'session', target_id: tenant, ip: '127.0.0.1', route: '/v1/auth/refresh', method: 'POST', user_agent: 'bench', request_id: 'r' })))]);
      await app.query('commit');
    } else if (mode === 'lookup') {
      await app.query(`select (select l.id from lookup_refresh_token(e->>'d') l) from jsonb_array_elements($1::jsonb) e`, [JSON.stringify(items.map((x) => ({ d: dig(x.t) })))]);
      continue;
    } else if (mode === 'hash') {
      await app.query('begin');
      await app.query(`select set_config('app.tenant_id', $1, true)`, [tenant]);
      await app.query(`select count(audit_hash(a)) from (select a.* from audit_events a limit 50) a`);
      await app.query('commit');
      continue;
    } else {
      for (const x of items) {
        const res = await app.query('select * from refresh_rotate_many($1::jsonb, 10) order by ord', [JSON.stringify([{ d: dig(x.t), n: dig(x.n), c: { ip: '127.0.0.1', route: '/v1/auth/refresh', method: 'POST', user_agent: 'bench', request_id: 'r' } }])]);
        if (res.rows[0].outcome !== 'ok') throw new Error('bad');
      }
    }
    items.forEach((x, i) => (tokens[i] = x.n));
  }
  const t1 = await backendCpu(app);
  console.log(`${mode}: ${rounds * N} rotations, backend CPU ${(((t1 - t0) / (rounds * N)) * 1000).toFixed(0)} us/rotation, wall ${(((Date.now() - w0) / (rounds * N)) * 1000).toFixed(0)} us/rotation`);
  await app.end();
  await su.end();
}
main().catch((e) => { console.error(e); process.exit(1); });
