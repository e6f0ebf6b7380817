import { MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { baseOrmOptions } from './orm-options';
import { tenantTableSql } from './rls';
import { APP_ROLE } from './roles';
import { TenantDb } from './tenant-db.service';

const appUrl = () => process.env.TEST_APP_DATABASE_URL!;
const ownerUrl = () => process.env.TEST_OWNER_DATABASE_URL!;

async function run(url: string, text: string, params: unknown[] = []) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

/**
 * Tenant isolation enforced by PostgreSQL itself, exercised as the application role.
 * The probe table is made tenant-owned by the same helper every migration uses.
 */
describe('row-level security (as the application role)', () => {
  let orm: MikroORM;
  let db: TenantDb;
  const tenantA = randomUUID();
  const tenantB = randomUUID();

  beforeAll(async () => {
    await run(ownerUrl(), `create table if not exists rls_probe (id serial primary key, tenant_id uuid not null, note text)`);
    const policies = await run(ownerUrl(), `select 1 from pg_policies where tablename = 'rls_probe'`);
    if (!policies.rowCount) for (const s of tenantTableSql('rls_probe')) await run(ownerUrl(), s);
    await run(ownerUrl(), `grant usage on sequence rls_probe_id_seq to ${APP_ROLE}`);
    // Pool of ONE connection: every transaction below reuses the same server session.
    orm = await MikroORM.init({ ...baseOrmOptions(appUrl(), 1), entities: [] });
    db = new TenantDb(orm);
    await db.withTenant(tenantA, (em) => em.execute(`insert into rls_probe (tenant_id, note) values (?, 'a1'), (?, 'a2')`, [tenantA, tenantA]));
    await db.withTenant(tenantB, (em) => em.execute(`insert into rls_probe (tenant_id, note) values (?, 'b1')`, [tenantB]));
  });

  afterAll(async () => {
    await orm.close(true);
  });

  it('returns no rows when no tenant is set', async () => {
    const rows = await db.withoutTenant((em) => em.execute('select * from rls_probe'));
    expect(rows).toEqual([]);
    const direct = await run(appUrl(), 'select * from rls_probe');
    expect(direct.rowCount).toBe(0);
  });

  it('shows a tenant only its own rows even when the query has no filter', async () => {
    const rows = await db.withTenant(tenantA, (em) => em.execute<{ note: string }[]>('select note from rls_probe order by note'));
    expect(rows.map((r) => r.note)).toEqual(['a1', 'a2']);
  });

  it('never lets tenant A update or delete tenant B rows', async () => {
    const updated = await db.withTenant(tenantA, (em) => em.execute(`update rls_probe set note = 'pwned'`, [], 'run'));
    expect((updated as unknown as { affectedRows: number }).affectedRows).toBe(2); // only A's two rows
    const deleted = await db.withTenant(tenantA, (em) => em.execute(`delete from rls_probe where tenant_id = ?`, [tenantB], 'run'));
    expect((deleted as unknown as { affectedRows: number }).affectedRows).toBe(0);
    const b = await db.withTenant(tenantB, (em) => em.execute<{ note: string }[]>('select note from rls_probe'));
    expect(b.map((r) => r.note)).toEqual(['b1']);
    await db.withTenant(tenantA, (em) => em.execute(`update rls_probe set note = 'a' || id`, [], 'run'));
  });

  it('refuses to write a row into another tenant', async () => {
    await expect(
      db.withTenant(tenantA, (em) => em.execute(`insert into rls_probe (tenant_id, note) values (?, 'planted')`, [tenantB])),
    ).rejects.toThrow(/row-level security/);
    await expect(
      db.withTenant(tenantA, (em) => em.execute(`update rls_probe set tenant_id = ?`, [tenantB], 'run')),
    ).rejects.toThrow(/row-level security/);
    const b = await db.withTenant(tenantB, (em) => em.execute<{ note: string }[]>('select note from rls_probe'));
    expect(b.map((r) => r.note)).toEqual(['b1']);
  });

  it('leaves no tenant on the pooled connection after a transaction that failed midway', async () => {
    await expect(
      db.withTenant(tenantA, async (em) => {
        await em.execute('select count(*) from rls_probe');
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    // Same single pooled connection, next "request" without a tenant.
    const [setting] = await db.withoutTenant((em) =>
      em.execute<{ t: string | null; pid: number }[]>(`select current_setting('app.tenant_id', true) as t, pg_backend_pid() as pid`),
    );
    expect(setting.t ?? '').toBe('');
    const rows = await db.withoutTenant((em) => em.execute('select * from rls_probe'));
    expect(rows).toEqual([]);
  });

  it('does not let a session-level setting outside withTenant leak rows either', async () => {
    // Even if someone set the tenant for the session by hand, the next pooled transaction
    // started through TenantDb sets its own tenant; and a bogus value matches nothing.
    const rows = await run(appUrl(), `select set_config('app.tenant_id', '', false); select * from rls_probe`);
    expect(rows).toBeDefined();
    const bogus = await db.withTenant(randomUUID(), (em) => em.execute('select * from rls_probe'));
    expect(bogus).toEqual([]);
  });


  describe('single-statement tenant functions (app_enter_tenant: login_account, mfa_account, session_start)', () => {
    beforeAll(async () => {
      await run(ownerUrl(), `create or replace function rls_probe_notes(p_tenant uuid) returns setof text
        language plpgsql security invoker as $$
        begin perform app_enter_tenant(p_tenant); return query select note from rls_probe order by note; end $$`);
      await run(ownerUrl(), `grant execute on function rls_probe_notes(uuid) to ${APP_ROLE}`);
    });

    it('see their tenant for their own statement only: the pooled connection keeps no tenant', async () => {
      const rows = await db.statement<{ n: string }[]>('select rls_probe_notes(?) as n', [tenantA]);
      expect(rows.map((r) => r.n)).toEqual(['a1', 'a2']);
      // Same single pooled connection, next statement without a tenant.
      const [setting] = await db.statement<{ t: string | null }[]>(`select current_setting('app.tenant_id', true) as t`, []);
      expect(setting.t ?? '').toBe('');
      expect(await db.statement('select * from rls_probe', [])).toEqual([]);
    });

    it('refuse inside a transaction of another tenant instead of switching it', async () => {
      await expect(db.withTenant(tenantB, (em) => em.execute('select rls_probe_notes(?)', [tenantA]))).rejects.toThrow(
        /another tenant is set/,
      );
      const same = await db.withTenant(tenantB, (em) => em.execute<{ n: string }[]>('select rls_probe_notes(?) as n', [tenantB]));
      expect(same.map((r) => r.n)).toEqual(['b1']);
    });

    it('refresh_rotate_many (items of several tenants) runs only on its own, never in a tenant transaction', async () => {
      const unknown = JSON.stringify([{ d: 'no-such-digest', n: 'x', c: {} }]);
      await expect(db.withTenant(tenantB, (em) => em.execute('select * from refresh_rotate_many(cast(? as jsonb), 10)', [unknown]))).rejects.toThrow(
        /not in a tenant transaction/,
      );
      const alone = await db.statement<{ outcome: string }[]>('select outcome from refresh_rotate_many(cast(? as jsonb), 10)', [unknown]);
      expect(alone).toEqual([{ outcome: 'unknown' }]);
    });
  });
  describe('the application role cannot escape', () => {
    it('cannot disable or un-force RLS', async () => {
      await expect(run(appUrl(), 'alter table rls_probe disable row level security')).rejects.toThrow(/must be owner/);
      await expect(run(appUrl(), 'alter table rls_probe no force row level security')).rejects.toThrow(/must be owner/);
    });

    it('cannot switch to another role', async () => {
      await expect(run(appUrl(), 'set role tessera_owner')).rejects.toThrow(/permission denied/);
      await expect(run(appUrl(), 'set session authorization tessera_owner')).rejects.toThrow(/permission denied/);
    });

    it('cannot turn row security off for its session', async () => {
      await expect(run(appUrl(), 'set row_security = off; select * from rls_probe')).rejects.toThrow(/row-level security/);
    });

    it('cannot write or read the migrations table, nor create tables', async () => {
      await expect(run(appUrl(), `insert into mikro_orm_migrations (name) values ('evil')`)).rejects.toThrow(/permission denied/);
      await expect(run(appUrl(), `delete from mikro_orm_migrations`)).rejects.toThrow(/permission denied/);
      await expect(run(appUrl(), `create table evil (id int)`)).rejects.toThrow(/permission denied/);
    });

    it('is not superuser, owner or BYPASSRLS', async () => {
      const r = await run(appUrl(), `select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user`);
      expect(r.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
      const owned = await run(appUrl(), `select count(*)::int as n from pg_tables where tableowner = current_user`);
      expect(owned.rows[0].n).toBe(0);
    });
  });

  it('every table with a tenant_id column has RLS enabled, forced and a tenant policy', async () => {
    const r = await run(
      ownerUrl(),
      `select c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (select count(*) from pg_policies p where p.tablename = c.relname and 'tessera_app' = any(p.roles))::int as app_policies
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r'
          and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
               or c.relname = 'tenants')`,
    );
    expect(r.rows.length).toBeGreaterThanOrEqual(3);
    for (const t of r.rows) {
      expect({ table: t.relname, rls: t.relrowsecurity, forced: t.relforcerowsecurity, policy: t.app_policies > 0 }).toEqual({
        table: t.relname,
        rls: true,
        forced: true,
        policy: true,
      });
    }
  });
});
