import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule } from '@tessera/audit';
import { AuthModule } from '@tessera/auth';
import { ConfigModule } from '@tessera/config';
import { CryptoModule } from '@tessera/crypto';
import { DatabaseModule, PreTenantLookup } from '@tessera/database';
import { MailService } from '@tessera/mail';
import { StoreModule } from '@tessera/store';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AccountsModule } from './accounts.module';
import { SignupService } from './signup.service';
import { testConfig } from '../../../test/support/config';

async function q<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: process.env.TEST_SUPERUSER_DB_URL });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

const email = (p: string) => `${p}-${randomBytes(5).toString('hex')}@example.test`;
const password = () => `Vx7-${randomBytes(12).toString('base64url')}`;

/**
 * SignupService outside HTTP, composed as the operator CLI composes it (no request
 * context), and the paths an HTTP test cannot steer: losing the uniqueness race.
 */
describe('SignupService (integration)', () => {
  let ctx: INestApplicationContext;
  let signup: SignupService;

  beforeAll(async () => {
    const config = testConfig();
    ctx = await NestFactory.createApplicationContext(
      {
        module: class AccountsIntModule {},
        imports: [
          ConfigModule.forRoot(config),
          StoreModule,
          DatabaseModule,
          AuditModule,
          AuthModule,
          CryptoModule,
          AccountsModule,
        ],
      },
      { logger: false },
    );
    signup = ctx.get(SignupService);
  });
  afterAll(() => ctx.close());
  afterEach(() => jest.restoreAllMocks());

  it('works without a request context and writes tenant, admin, token and audit row together', async () => {
    const enqueue = jest.spyOn(ctx.get(MailService), 'enqueue').mockImplementation(() => undefined);
    const address = email('cli');
    const orgName = `Org ${randomBytes(4).toString('hex')}`;
    await signup.signUp({ email: address, password: password(), name: 'Ada', tenantName: orgName });

    const [user] = await q<{ id: string; tenant_id: string; status: string }>(
      `select id, tenant_id, status from users where email_normalized = $1`,
      [address],
    );
    expect(user.status).toBe('pending');
    const [tenant] = await q(`select name, status, path from tenants where id = $1`, [
      user.tenant_id,
    ]);
    expect(tenant).toMatchObject({ name: orgName, status: 'pending' });
    const audit = await q(
      `select action, outcome, route, ip from audit_events where tenant_id = $1`,
      [user.tenant_id],
    );
    expect(audit).toEqual([{ action: 'auth.signup', outcome: 'success', route: null, ip: null }]);
    expect(enqueue).toHaveBeenCalledWith(
      'email-verification',
      address,
      expect.objectContaining({ name: 'Ada', expiresInHours: 24 }),
    );
  });

  it('losing the uniqueness race rolls everything back and notifies the owner instead', async () => {
    const enqueue = jest.spyOn(ctx.get(MailService), 'enqueue').mockImplementation(() => undefined);
    const address = email('race');
    await signup.signUp({
      email: address,
      password: password(),
      name: 'First',
      tenantName: 'First Org',
    });
    const [owner] = await q<{ id: string; tenant_id: string }>(
      `select id, tenant_id from users where email_normalized = $1`,
      [address],
    );
    enqueue.mockClear();

    // The lookup misses (as when two sign-ups run at once); the insert then hits the index.
    const lookup = ctx.get(PreTenantLookup);
    const real = lookup.userByEmail.bind(lookup);
    jest
      .spyOn(lookup, 'userByEmail')
      .mockImplementationOnce(async () => null)
      .mockImplementation(real);
    const orgName = `Loser ${randomBytes(4).toString('hex')}`;
    await expect(
      signup.signUp({ email: address, password: password(), name: 'Second', tenantName: orgName }),
    ).resolves.toBeUndefined();

    expect(await q(`select id from tenants where name = $1`, [orgName])).toEqual([]);
    expect(await q(`select id from users where email_normalized = $1`, [address])).toEqual([
      { id: owner.id },
    ]);
    expect(enqueue).toHaveBeenCalledTimes(1);
    expect(enqueue).toHaveBeenCalledWith('signup-attempt', address, {
      name: 'First',
      resetLink: 'http://tessera.test/forgot-password',
    });
    const rows = await q(
      `select outcome, reason from audit_events where tenant_id = $1 and action = 'auth.signup' order by occurred_at, seq`,
      [owner.tenant_id],
    );
    expect(rows).toEqual([
      { outcome: 'success', reason: null },
      { outcome: 'failure', reason: 'email_exists' },
    ]);
  });
});
