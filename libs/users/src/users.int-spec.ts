import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule } from '@tessera/audit';
import { AuthModule } from '@tessera/auth';
import { ConfigModule } from '@tessera/config';
import { CryptoModule } from '@tessera/crypto';
import { DatabaseModule } from '@tessera/database';
import { MailModule } from '@tessera/mail';
import { PasswordModule } from '@tessera/password';
import { StoreModule } from '@tessera/store';
import { hash as argon2Hash } from 'argon2';
import { hashSync } from 'bcryptjs';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
// Through the public face, as the CLI does: @tessera/accounts and @tessera/users import each
// other, and only entering through an index.ts resolves that cycle.
import {
  CredentialsService,
  InvitationService,
  operatorActor,
  UserImportError,
  UserImportService,
  UsersModule,
  UsersService,
} from '@tessera/users';
import { testConfig } from '../../../test/support/config';

const PLATFORM = '00000000-0000-0000-0000-000000000001';

async function q<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: process.env.TEST_SUPERUSER_DB_URL });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

const hex = () => randomBytes(5).toString('hex');
const email = (p: string) => `${p}-${hex()}@import.example`;
const password = () => `Lg7-${randomBytes(12).toString('base64url')}`;

async function tenant(opts: { parentId?: string; status?: string; settings?: object } = {}) {
  const id = randomUUID();
  const slug = `imp-${hex()}`;
  await q(
    `insert into tenants (id, parent_id, slug, name, status, settings) values ($1, $2, $3, $4, $5, $6)`,
    [
      id,
      opts.parentId ?? PLATFORM,
      slug,
      `Import ${slug}`,
      opts.status ?? 'active',
      JSON.stringify(opts.settings ?? {}),
    ],
  );
  return { id, slug };
}

async function user(
  tenantId: string,
  opts: { role?: string; status?: string; passwordHash?: string | null } = {},
) {
  const id = randomUUID();
  const e = email('u');
  await q(
    `insert into users (id, tenant_id, email, email_normalized, name, status, role, password_hash) values ($1, $2, $3, $3, 'Some User', $4, $5, $6)`,
    [id, tenantId, e, opts.status ?? 'active', opts.role ?? 'member', opts.passwordHash ?? null],
  );
  return { id, email: e };
}

const userRow = async (emailNormalized: string) =>
  (
    await q<{
      id: string;
      status: string;
      role: string;
      tenant_id: string;
      password_hash: string | null;
      email_verified_at: Date | null;
    }>('select * from users where email_normalized = $1', [emailNormalized])
  )[0];

/**
 * The service paths the CLI uses (operator actor, no HTTP request) and the login password
 * check, composed the way apps/cli composes them, against the real database.
 */
describe('users services (CLI composition, real PostgreSQL)', () => {
  let ctx: INestApplicationContext;
  let importer: UserImportService;
  let credentials: CredentialsService;

  beforeAll(async () => {
    const config = testConfig();
    ctx = await NestFactory.createApplicationContext(
      {
        module: class UsersCliLikeModule {},
        imports: [
          ConfigModule.forRoot(config),
          DatabaseModule,
          StoreModule,
          AuditModule,
          AuthModule,
          CryptoModule,
          MailModule,
          PasswordModule,
          UsersModule,
        ],
      },
      { logger: false },
    );
    importer = ctx.get(UserImportService);
    credentials = ctx.get(CredentialsService);
  });

  afterAll(async () => {
    await ctx.close();
  });

  describe('users import', () => {
    it('reports every bad row with its line and writes nothing', async () => {
      const t = await tenant({ settings: { allowedEmailDomains: ['import.example'] } });
      const existing = await user(t.id);
      const good = email('good');
      const dup = email('dup');
      const bcrypt = hashSync('legacy-password', 4);
      const csv = [
        'email,name,tenant_slug,role,bcrypt_hash',
        `${good},Good Row,${t.slug},member,${bcrypt}`, // 2: fine on its own
        `not-an-email,Bad Email,${t.slug},member,${bcrypt}`, // 3
        `${email('x')},No Tenant,no-such-${hex()},member,${bcrypt}`, // 4
        `${email('x')},Bad Role,${t.slug},owner,${bcrypt}`, // 5
        `${email('x')},Bad Hash,${t.slug},member,$argon2id$nope`, // 6
        `${dup},Dup One,${t.slug},member,${bcrypt}`, // 7
        `${dup.toUpperCase()},Dup Two,${t.slug},member,${bcrypt}`, // 8
        `${existing.email},Exists,${t.slug},member,${bcrypt}`, // 9
        `${email('x')},Sys,${t.slug},system_admin,${bcrypt}`, // 10
        `${email('x')},Too,Many,Fields,${t.slug},member`, // 11
        `x-${hex()}@elsewhere.example,Wrong Domain,${t.slug},member,${bcrypt}`, // 12
      ].join('\n');

      let caught: unknown;
      try {
        await importer.importCsv(csv, 'jest');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UserImportError);
      const problems = (caught as UserImportError).problems;
      expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 8, 9, 10, 11, 12]);
      const byLine = new Map(problems.map((p) => [p.line, p.message]));
      expect(byLine.get(3)).toMatch(/invalid email/);
      expect(byLine.get(4)).toMatch(/unknown tenant/);
      expect(byLine.get(5)).toMatch(/unknown role/);
      expect(byLine.get(6)).toMatch(/bcrypt/);
      expect(byLine.get(8)).toMatch(/duplicate email \(same as line 7\)/);
      expect(byLine.get(9)).toMatch(/already registered/);
      expect(byLine.get(10)).toMatch(/system_admin only in the platform tenant/);
      expect(byLine.get(11)).toMatch(/expected 5 fields/);
      expect(byLine.get(12)).toMatch(/domain not allowed/);
      expect(JSON.stringify(problems)).not.toContain(bcrypt);

      // All or nothing: not even the good rows.
      expect(await userRow(good)).toBeUndefined();
      expect(await userRow(dup)).toBeUndefined();
      const [failure] = await q(
        `select * from audit_events where action = 'user.import' and outcome = 'failure' and actor_id = 'jest'`,
      );
      expect(failure).toMatchObject({ actor_type: 'operator', tenant_id: null });
    });

    it('refuses a file without the exact header', async () => {
      await expect(
        importer.importCsv(
          'email,name,tenant,role,bcrypt_hash\na@b.example,A,x,member,y\n',
          'jest',
        ),
      ).rejects.toMatchObject({
        problems: [
          { line: 1, message: expect.stringMatching(/missing tenant_slug; unknown tenant/) },
        ],
      });
      await expect(importer.importCsv('', 'jest')).rejects.toBeInstanceOf(UserImportError);
    });

    it('imports a valid file across tenants (active, verified, bcrypt kept), audits each row, then upgrades to argon2id on first login', async () => {
      const t1 = await tenant();
      const t2 = await tenant();
      const rows = [
        {
          email: email('Alice'),
          name: 'Alice "Quoted", Jr',
          slug: t1.slug,
          role: 'tenant_admin',
          password: password(),
        },
        { email: email('bob'), name: 'Bob', slug: t1.slug, role: 'member', password: password() },
        {
          email: email('carol'),
          name: 'Carol',
          slug: t2.slug,
          role: 'member',
          password: password(),
        },
      ];
      const hashes = rows.map((r) => hashSync(r.password, 4));
      const csv =
        'email,name,tenant_slug,role,bcrypt_hash\r\n' +
        rows
          .map(
            (r, i) => `${r.email},"${r.name.replace(/"/g, '""')}",${r.slug},${r.role},${hashes[i]}`,
          )
          .join('\r\n') +
        '\r\n';

      const imported = await importer.importCsv(csv, 'jest');
      expect(imported.map((u) => [u.line, u.tenantSlug, u.role])).toEqual([
        [2, t1.slug, 'tenant_admin'],
        [3, t1.slug, 'member'],
        [4, t2.slug, 'member'],
      ]);
      const alice = await userRow(rows[0].email.toLowerCase());
      expect(alice).toMatchObject({
        status: 'active',
        role: 'tenant_admin',
        tenant_id: t1.id,
        password_hash: hashes[0],
      });
      expect(alice.email_verified_at).not.toBeNull();
      expect(
        (await q<{ name: string }>('select name from users where id = $1', [alice.id]))[0].name,
      ).toBe(rows[0].name);

      const audits = await q<Record<string, unknown>>(
        `select * from audit_events where action = 'user.import' and target_id = any($1::text[]) order by occurred_at`,
        [imported.map((u) => u.id)],
      );
      expect(audits).toHaveLength(3);
      expect(
        audits.every(
          (a) => a.actor_type === 'operator' && a.actor_id === 'jest' && a.outcome === 'success',
        ),
      ).toBe(true);
      expect(audits.map((a) => a.tenant_id)).toEqual([t1.id, t1.id, t2.id]);
      const auditText = JSON.stringify(audits);
      for (const [i, r] of rows.entries()) {
        expect(auditText).not.toContain(hashes[i]);
        expect(auditText).not.toContain(r.password);
      }

      // First login: bcrypt verified, then replaced by argon2id; the same password keeps working.
      const loggedIn = await credentials.verifyPasswordForLogin(
        rows[0].email.toLowerCase(),
        rows[0].password,
      );
      expect(loggedIn?.id).toBe(alice.id);
      const upgraded = (await userRow(rows[0].email.toLowerCase())).password_hash!;
      expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(loggedIn?.passwordHash).toBe(upgraded);
      const again = await credentials.verifyPasswordForLogin(
        rows[0].email.toLowerCase(),
        rows[0].password,
      );
      expect(again?.id).toBe(alice.id);
      expect((await userRow(rows[0].email.toLowerCase())).password_hash).toBe(upgraded);

      // Wrong password: null, and the bcrypt hash of a user who has not logged in yet is untouched.
      expect(
        await credentials.verifyPasswordForLogin(rows[1].email.toLowerCase(), 'not-the-password'),
      ).toBeNull();
      expect((await userRow(rows[1].email.toLowerCase())).password_hash).toBe(hashes[1]);

      // The email the caller passes is normalised again (case, NFKC).
      expect(
        (await credentials.verifyPasswordForLogin(rows[2].email.toUpperCase(), rows[2].password))
          ?.tenantId,
      ).toBe(t2.id);

      // Importing the same file again: every email is taken now.
      await expect(importer.importCsv(csv, 'jest')).rejects.toMatchObject({
        problems: [2, 3, 4].map((line) => ({ line, message: 'email already registered' })),
      });
    });
  });

  describe('verifyPasswordForLogin', () => {
    it('rehashes an argon2id hash with weaker-than-current parameters', async () => {
      const t = await tenant();
      const pw = password();
      const weak = await argon2Hash(pw, {
        type: 2,
        memoryCost: 19456,
        timeCost: 1,
        parallelism: 1,
      });
      const u = await user(t.id, { passwordHash: weak });
      const result = await credentials.verifyPasswordForLogin(u.email, pw);
      expect(result?.id).toBe(u.id);
      const stored = (await userRow(u.email)).password_hash!;
      expect(stored).not.toBe(weak);
      expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });

    it('returns null for unknown emails and for pending, disabled or password-less users, even with the right password', async () => {
      const t = await tenant();
      const pw = password();
      const bcrypt = hashSync(pw, 4);
      const pending = await user(t.id, { status: 'pending', passwordHash: bcrypt });
      const disabled = await user(t.id, { status: 'disabled', passwordHash: bcrypt });
      const noPassword = await user(t.id);
      expect(await credentials.verifyPasswordForLogin(email('nobody'), pw)).toBeNull();
      expect(await credentials.verifyPasswordForLogin(pending.email, pw)).toBeNull();
      expect(await credentials.verifyPasswordForLogin(disabled.email, pw)).toBeNull();
      expect(await credentials.verifyPasswordForLogin(noPassword.email, pw)).toBeNull();
      // Nothing was upgraded for users who may not log in.
      expect((await userRow(pending.email)).password_hash).toBe(bcrypt);
      expect((await userRow(disabled.email)).password_hash).toBe(bcrypt);
    });

    it('takes about as long for an unknown email as for a wrong password (one argon2 verification each)', async () => {
      const t = await tenant();
      const pw = password();
      const u = await user(t.id, {
        passwordHash: await argon2Hash(pw, {
          type: 2,
          memoryCost: 19456,
          timeCost: 2,
          parallelism: 1,
        }),
      });
      const time = async (fn: () => Promise<unknown>) => {
        const runs: number[] = [];
        for (let i = 0; i < 7; i++) {
          const start = process.hrtime.bigint();
          await fn();
          runs.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
        return runs.sort((a, b) => a - b)[3];
      };
      const unknown = await time(() => credentials.verifyPasswordForLogin(email('ghost'), pw));
      const wrong = await time(() =>
        credentials.verifyPasswordForLogin(u.email, 'wrong-password-here'),
      );
      // Both are dominated by one argon2 run; without the dummy verification the unknown email would take ~1 ms.
      // (A loose bound: parallel test files share the CPU.)
      expect(unknown).toBeGreaterThan(wrong * 0.3);
    });
  });

  describe('operator paths (CLI)', () => {
    it('invites by tenant slug as an operator and hands back the activation link', async () => {
      const t = await tenant();
      const e = email('op');
      const { user: invited, activationLink } = await ctx
        .get(InvitationService)
        .invite(
          operatorActor('jest-op'),
          { email: e, name: 'Op Invitee', role: 'tenant_admin' },
          { tenantSlug: t.slug },
        );
      expect(invited).toMatchObject({ tenantId: t.id, status: 'pending', role: 'tenant_admin' });
      expect(activationLink).toMatch(/^http:\/\/tessera\.test\/activate\?token=[A-Za-z0-9_-]{43}$/);
      const [audit] = await q(
        `select * from audit_events where action = 'user.invite' and target_id = $1`,
        [invited.id],
      );
      expect(audit).toMatchObject({
        actor_type: 'operator',
        actor_id: 'jest-op',
        credential_type: 'cli',
        tenant_id: t.id,
      });
      expect(JSON.stringify(audit)).not.toContain(
        new URL(activationLink).searchParams.get('token'),
      );

      await expect(
        ctx
          .get(InvitationService)
          .invite(operatorActor('jest-op'), { email: 'nope', name: 'X' }, { tenantSlug: t.slug }),
      ).rejects.toMatchObject({ code: 'validation-failed' });
      await expect(
        ctx
          .get(InvitationService)
          .invite(
            operatorActor('jest-op'),
            { email: email('op'), name: 'X' },
            { tenantSlug: `missing-${hex()}` },
          ),
      ).rejects.toMatchObject({ code: 'tenant-not-found' });
    });

    it('disables by email as an operator, even the last admin (break-glass)', async () => {
      const t = await tenant();
      const only = await user(t.id, { role: 'tenant_admin' });
      const disabled = await ctx
        .get(UsersService)
        .disableByEmail(operatorActor('jest-op'), only.email.toUpperCase());
      expect(disabled.status).toBe('disabled');
      expect((await userRow(only.email)).status).toBe('disabled');
      const [audit] = await q(
        `select * from audit_events where action = 'user.disable' and target_id = $1`,
        [only.id],
      );
      expect(audit).toMatchObject({ actor_type: 'operator', outcome: 'success' });
      await expect(
        ctx.get(UsersService).disableByEmail(operatorActor('jest-op'), email('ghost')),
      ).rejects.toMatchObject({ status: 404 });
    });
  });
});
