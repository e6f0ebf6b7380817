import { SecretDigest } from '@tessera/crypto';
import { PLATFORM_TENANT_ID } from '@tessera/database';
import { sql } from './support/db';
import { testConfig } from './support/app';
import { CliResult, runCli } from './support/cli';
import { createScratchDatabase, ScratchDatabase } from './support/scratch-db';

/**
 * The operator CLI (`bootstrap`, `tenants create|list`) run as a real process. `bootstrap`
 * refuses once any system admin exists, and the shared test database gains system admins
 * from other test files at any time; so this file provisions a database of its own (same
 * roles, fresh migrations) where "the first bootstrap" is deterministic.
 */
describe('operator CLI: bootstrap and tenants', () => {
  let urls: ScratchDatabase;

  /** As the superuser, on this file's own database. */
  const q = <T extends Record<string, unknown> = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    sql<T>(text, params, urls.superUrl);

  const cli = (...args: string[]): Promise<CliResult> => runCli(urls, ...args);

  beforeAll(async () => {
    urls = await createScratchDatabase('tessera_test_cli');
  }, 60_000);

  afterAll(async () => {
    await urls.drop();
  });

  describe('bootstrap', () => {
    it('creates the first system admin (pending) and prints a one-time activation link; only its digest is stored', async () => {
      const res = await cli(
        'bootstrap',
        '--email',
        '  Root.Admin@Example.COM ',
        '--name',
        'Root Admin',
      );
      expect(res).toMatchObject({ code: 0 });
      const link = res.stdout.match(/http:\/\/tessera\.test\/activate\?token=([A-Za-z0-9_-]+)/);
      expect(link).not.toBeNull();
      const token = link![1];

      const users = await q<{
        id: string;
        tenant_id: string;
        email: string;
        email_normalized: string;
        status: string;
        role: string;
        password_hash: string | null;
      }>('select id, tenant_id, email, email_normalized, status, role, password_hash from users');
      expect(users).toEqual([
        expect.objectContaining({
          tenant_id: PLATFORM_TENANT_ID,
          email: 'Root.Admin@Example.COM',
          email_normalized: 'root.admin@example.com',
          status: 'pending',
          role: 'system_admin',
          password_hash: null,
        }),
      ]);
      const tokens = await q<{
        user_id: string;
        purpose: string;
        token_digest: string;
        ttl: number;
      }>(
        `select user_id, purpose, token_digest, extract(epoch from expires_at - created_at)::int as ttl from account_tokens`,
      );
      const digest = new SecretDigest(testConfig()).digest(token);
      expect(tokens).toEqual([
        { user_id: users[0].id, purpose: 'invitation', token_digest: digest, ttl: 7 * 24 * 3600 },
      ]);

      const audit = await q<Record<string, unknown>>(
        `select * from audit_events where action = 'platform.bootstrap'`,
      );
      expect(audit).toEqual([
        expect.objectContaining({
          tenant_id: PLATFORM_TENANT_ID,
          actor_type: 'operator',
          credential_type: 'cli',
          target_type: 'user',
          target_id: users[0].id,
          outcome: 'success',
          risk_tier: 3,
        }),
      ]);
      expect(JSON.stringify(await q('select * from audit_events'))).not.toContain(token);
    }, 60_000);

    it('refuses while a system admin exists (exit 1), creating nothing and auditing the refusal', async () => {
      const before = await q<{ n: string }>('select count(*) as n from users');
      const res = await cli('bootstrap', '--email', 'second@example.com', '--name', 'Second Admin');
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/bootstrap refused: a system admin already exists/);
      expect(res.stdout).not.toMatch(/activate\?token=/);
      expect(await q('select count(*) as n from users')).toEqual(before);
      expect(
        await q(`select 1 from users where email_normalized = 'second@example.com'`),
      ).toHaveLength(0);
      const refused = await q(
        `select * from audit_events where action = 'platform.bootstrap' and outcome = 'failure'`,
      );
      expect(refused).toEqual([
        expect.objectContaining({ decision: 'deny', actor_type: 'operator' }),
      ]);
    }, 60_000);

    it('rejects an invalid email (exit 2)', async () => {
      const res = await cli('bootstrap', '--email', 'not-an-email', '--name', 'X');
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/not a valid email/);
    }, 60_000);
  });

  describe('tenants', () => {
    it('creates tenants (audited as the operator) and lists them', async () => {
      const top = await cli(
        'tenants',
        'create',
        '--name',
        'Reseller One',
        '--slug',
        'reseller-one',
      );
      expect(top.code).toBe(0);
      expect(top.stdout).toMatch(
        /created tenant reseller-one \([0-9a-f-]{36}\), active, under platform/,
      );
      const child = await cli(
        'tenants',
        'create',
        '--name',
        'Café Merchant',
        '--parent',
        'reseller-one',
      );
      expect(child.code).toBe(0);
      expect(child.stdout).toMatch(/created tenant cafe-merchant .* under reseller-one/);

      const [row] = await q<{ id: string; parent_slug: string; status: string }>(
        `select t.id, p.slug as parent_slug, t.status from tenants t join tenants p on p.id = t.parent_id where t.slug = 'cafe-merchant'`,
      );
      expect(row).toMatchObject({ parent_slug: 'reseller-one', status: 'active' });
      const [audit] = await q(
        `select * from audit_events where action = 'tenant.create' and tenant_id = $1`,
        [row.id],
      );
      expect(audit).toMatchObject({
        actor_type: 'operator',
        credential_type: 'cli',
        target_id: row.id,
      });

      const all = await cli('tenants', 'list');
      expect(all.code).toBe(0);
      const lines = all.stdout.trim().split('\n');
      expect(lines[0].split(/\s{2,}/)).toEqual(['SLUG', 'NAME', 'STATUS', 'ID', 'PARENT']);
      expect(lines.find((l) => l.startsWith('cafe-merchant'))!.split(/\s{2,}/)).toEqual([
        'cafe-merchant',
        'Café Merchant',
        'active',
        row.id,
        'reseller-one',
      ]);
      expect(lines.some((l) => l.startsWith('platform '))).toBe(true);

      const children = await cli('tenants', 'list', '--parent', 'reseller-one');
      expect(children.stdout).toMatch(/cafe-merchant/);
      expect(children.stdout).not.toMatch(/^reseller-one /m);
      expect(children.stdout).toMatch(/1 tenant\n/);
    }, 60_000);

    it('reports a taken slug or an unknown parent with exit 1', async () => {
      const taken = await cli('tenants', 'create', '--name', 'Again', '--slug', 'reseller-one');
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(/Slug taken/);
      const orphan = await cli(
        'tenants',
        'create',
        '--name',
        'Orphan',
        '--parent',
        'no-such-tenant',
      );
      expect(orphan.code).toBe(1);
      expect(orphan.stderr).toMatch(/Not found/);
      expect(await q(`select 1 from tenants where name in ('Again', 'Orphan')`)).toHaveLength(0);
    }, 60_000);
  });
});
