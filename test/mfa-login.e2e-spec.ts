import { MailService } from '@tessera/mail';
import { decodeJwt } from 'jose';
import { LogCapture, sql, startApp, TestApp, describeRedis, uniquePrefix } from './support/app';
import {
  awayFromStepEdge,
  enrolTotpDirectly,
  loginWithTotp,
  nextStep,
  recoveryCodesDirectly,
  totpCode,
} from './support/mfa-helpers';
import { SmtpSink } from './support/smtp-sink';
import { auditRows, createTenant, createUser } from './support/test-auth';
import { bearer } from './support/session-helpers';

/**
 * MFA at login, over HTTP with real PostgreSQL, Redis and SMTP: who is asked for a second
 * factor (role, task role, custom role, tenant switch), the mfa_token, TOTP (drift, replay),
 * email codes, recovery codes, attempt limits, and that no secret leaks.
 */
const PASSWORD = 'Mfa-Login-Passw0rd-Long-42';

describeRedis('MFA at login (e2e)', () => {
  let t: TestApp;
  let sink: SmtpSink;
  const logs = new LogCapture();
  /** Every secret and code seen in a test: none may appear in logs or audit rows. */
  const secrets: string[] = [];

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startApp(
      {
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: uniquePrefix(),
        SMTP_URL: sink.url,
        RATE_LIMIT_AUTH_PER_MINUTE: '10000',
        LOG_LEVEL: 'info',
      },
      { logs },
    );
  });
  afterAll(async () => {
    await t.close();
    await sink.stop();
  });

  const login = (email: string, password = PASSWORD) =>
    t.http.post('/v1/auth/login').send({ email, password });
  const verify = (body: Record<string, unknown>) => t.http.post('/v1/auth/mfa/verify').send(body);

  async function person(
    opts: {
      role?: 'member' | 'tenant_admin' | 'domain_admin' | 'system_admin';
      tenantId?: string;
      settings?: object;
    } = {},
  ) {
    const tenant = opts.tenantId
      ? { id: opts.tenantId }
      : await createTenant({ settings: opts.settings });
    return createUser({ tenantId: tenant.id, role: opts.role, password: PASSWORD });
  }

  async function emailCode(to: string, nth = -1): Promise<string> {
    await t.app.get(MailService).drain();
    const mail = sink
      .messagesTo(to)
      .filter((m) => m.subject.includes('verification code'))
      .at(nth);
    if (!mail) throw new Error(`no code mail to ${to}`);
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    if (!code) throw new Error('no code in mail');
    secrets.push(code);
    return code;
  }

  describe('who is asked for a second factor', () => {
    it('a member of a tenant without the switch gets tokens at once', async () => {
      const u = await person();
      const res = await login(u.email);
      expect(res.status).toBe(200);
      expect(res.body.access_token).toBeDefined();
      expect(res.body.mfa_required).toBeUndefined();
    });

    it.each(['tenant_admin', 'domain_admin', 'system_admin'] as const)(
      'a %s without a factor gets an enrolment token, never tokens',
      async (role) => {
        const tenantId =
          role === 'system_admin' ? '00000000-0000-0000-0000-000000000001' : undefined;
        const u = await person({ role, tenantId });
        const res = await login(u.email);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          mfa_enrollment_required: true,
          enrollment_token: expect.stringMatching(/^mfe_[A-Za-z0-9_-]{43}$/),
          token_type: 'Bearer',
          expires_in: 600,
          methods: ['totp'],
        });
        expect(res.body.access_token).toBeUndefined();
        expect(res.body.refresh_token).toBeUndefined();
        const [n] = await sql<{ n: number }>(
          'select count(*)::int as n from sessions where user_id = $1',
          [u.id],
        );
        expect(n.n).toBe(0);
        expect(await auditRows('mfa.enrollment_required', u.tenantId)).toEqual(
          expect.arrayContaining([expect.objectContaining({ actor_id: u.id })]),
        );
      },
    );

    it('a member holding a tier-3 permission through a built-in task role must use MFA; an auditor (no tier 3) need not', async () => {
      const tenant = await createTenant();
      const manager = await person({ tenantId: tenant.id });
      const auditor = await person({ tenantId: tenant.id });
      await sql(
        `insert into user_roles (tenant_id, user_id, builtin) values ($1, $2, 'user_manager'), ($1, $3, 'auditor')`,
        [tenant.id, manager.id, auditor.id],
      );
      await sql('update users set authz_version = authz_version + 1 where id = any($1)', [
        [manager.id, auditor.id],
      ]);
      expect((await login(manager.email)).body.mfa_enrollment_required).toBe(true);
      const a = await login(auditor.email);
      expect(a.body.access_token).toBeDefined();
    });

    it('a member holding a tier-3 permission through a custom role must use MFA', async () => {
      const tenant = await createTenant();
      const u = await person({ tenantId: tenant.id });
      const [role] = await sql<{ id: string }>(
        `insert into roles (tenant_id, name, permissions) values ($1, 'deactivator', '{users:read,users:disable}') returning id`,
        [tenant.id],
      );
      await sql('insert into user_roles (tenant_id, user_id, role_id) values ($1, $2, $3)', [
        tenant.id,
        u.id,
        role.id,
      ]);
      expect((await login(u.email)).body.mfa_enrollment_required).toBe(true);
    });

    it('a member who enrolled an authenticator anyway is asked for it (and not offered email)', async () => {
      const u = await person();
      await enrolTotpDirectly(t, u);
      await recoveryCodesDirectly(t, u);
      const res = await login(u.email);
      expect(res.body).toEqual({
        mfa_required: true,
        mfa_token: expect.stringMatching(/^mfa_[A-Za-z0-9_-]{43}$/),
        expires_in: 300,
        methods: ['totp', 'recovery_code'],
      });
    });

    it('the tenant switch mfa.requiredForAll, set by its admin over the API, extends MFA to members (email for them), and back', async () => {
      const tenant = await createTenant();
      const admin = await person({ role: 'tenant_admin', tenantId: tenant.id });
      const secret = await enrolTotpDirectly(t, admin);
      secrets.push(secret);
      const member = await person({ tenantId: tenant.id });
      const adminPair = await loginWithTotp(t.http, admin.email, PASSWORD, secret);
      expect((await login(member.email)).body.access_token).toBeDefined();

      const on = await t.http
        .patch(`/v1/tenants/${tenant.id}`)
        .set(bearer(adminPair.access_token))
        .send({ settings: { mfa: { requiredForAll: true } } });
      expect(on.status).toBe(200);
      const asked = await login(member.email);
      expect(asked.body).toMatchObject({ mfa_required: true, methods: ['email'] });

      const off = await t.http
        .patch(`/v1/tenants/${tenant.id}`)
        .set(bearer(adminPair.access_token))
        .send({ settings: { mfa: { requiredForAll: false } } });
      expect(off.status).toBe(200);
      expect((await login(member.email)).body.access_token).toBeDefined();
    });

    it('a member of a requiredForAll tenant whose address is not verified must enrol an authenticator', async () => {
      const u = await person({ settings: { mfa: { requiredForAll: true } } });
      await sql('update users set email_verified_at = null where id = $1', [u.id]);
      expect((await login(u.email)).body.mfa_enrollment_required).toBe(true);
    });

    it('elevated users get email only when the tenant allows it (mfa.allowEmailForElevated)', async () => {
      const allowed = await person({
        role: 'tenant_admin',
        settings: { mfa: { allowEmailForElevated: true } },
      });
      expect((await login(allowed.email)).body).toMatchObject({
        mfa_required: true,
        methods: ['email'],
      });
      const strict = await person({
        role: 'tenant_admin',
        settings: { mfa: { allowEmailForElevated: false } },
      });
      expect((await login(strict.email)).body.mfa_enrollment_required).toBe(true);
    });

    it('a wrong password is still the generic 401 (MFA reveals nothing before the password)', async () => {
      const u = await person({ role: 'tenant_admin' });
      const res = await login(u.email, 'Not-The-Right-Passw0rd-99');
      expect(res.status).toBe(401);
      expect(res.body.type).toBe('urn:tessera:problem:invalid-credentials');
    });
  });

  describe('the mfa_token', () => {
    it('is never an access token: as Bearer it is 401 invalid_token everywhere', async () => {
      const u = await person();
      const secret = await enrolTotpDirectly(t, u);
      const { mfa_token } = (await login(u.email)).body;
      for (const [method, path] of [
        ['get', '/v1/me'],
        ['get', '/v1/auth/sessions'],
        ['get', '/v1/me/mfa'],
        ['post', '/v1/me/mfa/totp'],
      ] as const) {
        const res = await t.http[method](path).set(bearer(mfa_token)).send({});
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      }
      // ...and it still works for its one purpose afterwards.
      await awayFromStepEdge(3);
      expect(
        (await verify({ mfa_token, method: 'totp', code: await totpCode(secret) })).status,
      ).toBe(200);
    });

    it('is single use, expires after 5 minutes, and an enrolment token is not one', async () => {
      const u = await person();
      const secret = await enrolTotpDirectly(t, u);
      const first = (await login(u.email)).body.mfa_token as string;
      await awayFromStepEdge(3);
      const ok = await verify({ mfa_token: first, method: 'totp', code: await totpCode(secret) });
      expect(ok.status).toBe(200);
      await nextStep();
      const again = await verify({
        mfa_token: first,
        method: 'totp',
        code: await totpCode(secret),
      });
      expect(again.status).toBe(401);
      expect(again.body.type).toBe('urn:tessera:problem:invalid-mfa-token');

      const second = (await login(u.email)).body.mfa_token as string;
      await sql(
        `update mfa_challenges set expires_at = now() - interval '1 second' where user_id = $1 and consumed_at is null`,
        [u.id],
      );
      const expired = await verify({
        mfa_token: second,
        method: 'totp',
        code: await totpCode(secret),
      });
      expect(expired.status).toBe(401);
      expect(expired.body.type).toBe('urn:tessera:problem:invalid-mfa-token');

      const admin = await person({ role: 'tenant_admin' });
      const enrolment = (await login(admin.email)).body.enrollment_token as string;
      expect((await verify({ mfa_token: enrolment, method: 'totp', code: '123456' })).status).toBe(
        400,
      );
      expect(
        (await verify({ mfa_token: `mfa_${enrolment.slice(4)}`, method: 'totp', code: '123456' }))
          .status,
      ).toBe(401);
    });

    it('only its digest is stored', async () => {
      const u = await person();
      await enrolTotpDirectly(t, u);
      const token = (await login(u.email)).body.mfa_token as string;
      const rows = await sql<Record<string, unknown>>(
        'select * from mfa_challenges where user_id = $1',
        [u.id],
      );
      expect(JSON.stringify(rows)).not.toContain(token.slice(4));
    });

    it('bad input is 400 and changes nothing', async () => {
      const u = await person();
      await enrolTotpDirectly(t, u);
      const token = (await login(u.email)).body.mfa_token as string;
      for (const body of [
        {},
        { mfa_token: token },
        { mfa_token: token, method: 'sms', code: '123456' },
        { mfa_token: token, method: 'totp', code: '<script>' },
        { mfa_token: token, method: 'totp', code: '123456', extra: 1 },
      ]) {
        const res = await verify(body);
        expect(res.status).toBe(400);
        expect(res.body.type).toBe('urn:tessera:problem:validation-failed');
      }
      const [c] = await sql<{ attempts: number; consumed_at: Date | null }>(
        'select attempts, consumed_at from mfa_challenges where user_id = $1',
        [u.id],
      );
      expect(c).toEqual({ attempts: 0, consumed_at: null });
    });
  });

  describe('TOTP', () => {
    it('one step of drift either way is accepted; two are refused; tokens carry amr otp+mfa and acr mfa, refresh 7 days', async () => {
      const u = await person();
      const secret = await enrolTotpDirectly(t, u);
      secrets.push(secret);
      for (const steps of [-2, 2]) {
        await awayFromStepEdge();
        const token = (await login(u.email)).body.mfa_token;
        const res = await verify({
          mfa_token: token,
          method: 'totp',
          code: await totpCode(secret, steps),
        });
        expect({ steps, status: res.status }).toEqual({ steps, status: 401 });
        expect(res.body.type).toBe('urn:tessera:problem:invalid-mfa-code');
      }
      for (const steps of [-1, 1]) {
        // Each accepted code records its step; start from a clean slate so -1 then +1 are both judged on drift alone.
        await sql('update mfa_totp set last_used_step = null where user_id = $1', [u.id]);
        await awayFromStepEdge();
        const token = (await login(u.email)).body.mfa_token;
        const res = await verify({
          mfa_token: token,
          method: 'totp',
          code: await totpCode(secret, steps),
        });
        expect({ steps, status: res.status }).toEqual({ steps, status: 200 });
        const claims = decodeJwt(res.body.access_token);
        expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
        expect(claims.acr).toBe('urn:tessera:acr:mfa');
        expect(res.body.refresh_expires_in).toBe(7 * 86400);
      }
      const [s] = await sql<{ method: string }>(
        `select method from sessions where user_id = $1 order by created_at desc limit 1`,
        [u.id],
      );
      expect(s.method).toBe('password+totp');
    });

    it('a code already used in its time step is refused (replay), and the replay is audited', async () => {
      const u = await person();
      const secret = await enrolTotpDirectly(t, u);
      await awayFromStepEdge(4);
      const code = await totpCode(secret);
      const first = await verify({
        mfa_token: (await login(u.email)).body.mfa_token,
        method: 'totp',
        code,
      });
      expect(first.status).toBe(200);
      const replay = await verify({
        mfa_token: (await login(u.email)).body.mfa_token,
        method: 'totp',
        code,
      });
      expect(replay.status).toBe(401);
      expect(replay.body.type).toBe('urn:tessera:problem:invalid-mfa-code');
      // An older code (the previous step's) is refused too, although within the drift window.
      const older = await verify({
        mfa_token: (await login(u.email)).body.mfa_token,
        method: 'totp',
        code: await totpCode(secret, -1),
      });
      expect(older.status).toBe(401);
      const rows = await auditRows('mfa.totp.replay', u.tenantId);
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows[0]).toMatchObject({
        actor_id: u.id,
        risk_tier: 3,
        decision: 'deny',
        outcome: 'failure',
      });
      expect(
        (await auditRows('mfa.verify', u.tenantId)).filter((r) => r.reason === 'replay').length,
      ).toBeGreaterThanOrEqual(2);
    });

    it('two concurrent requests with the same code: exactly one session', async () => {
      const u = await person();
      const secret = await enrolTotpDirectly(t, u);
      await awayFromStepEdge(4);
      const code = await totpCode(secret);
      const tokens = [(await login(u.email)).body.mfa_token, (await login(u.email)).body.mfa_token];
      const results = await Promise.all(
        tokens.map((mfa_token) => verify({ mfa_token, method: 'totp', code })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });
  });

  describe('attempt limits', () => {
    it('5 wrong codes void the challenge: the right code after them is refused', async () => {
      const u = await person();
      const secret = await enrolTotpDirectly(t, u);
      const token = (await login(u.email)).body.mfa_token;
      await awayFromStepEdge(8);
      const right = await totpCode(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 1; i <= 5; i++) {
        const res = await verify({ mfa_token: token, method: 'totp', code: wrong });
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({
          type: 'urn:tessera:problem:invalid-mfa-code',
          attempts_remaining: 5 - i,
        });
      }
      const after = await verify({ mfa_token: token, method: 'totp', code: right });
      expect(after.status).toBe(401);
      expect(after.body.type).toBe('urn:tessera:problem:invalid-mfa-token');
      const [c] = await sql<{ consumed_reason: string }>(
        'select consumed_reason from mfa_challenges where user_id = $1',
        [u.id],
      );
      expect(c.consumed_reason).toBe('too_many_attempts');
    });

    it('10 failures per account across logins lock MFA for the account (429, audited), whatever the challenge', async () => {
      const u = await person();
      const secret = await enrolTotpDirectly(t, u);
      await awayFromStepEdge(10);
      const right = await totpCode(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 0; i < 2; i++) {
        const token = (await login(u.email)).body.mfa_token;
        for (let j = 0; j < 5; j++) await verify({ mfa_token: token, method: 'totp', code: wrong });
      }
      const fresh = (await login(u.email)).body.mfa_token;
      const res = await verify({ mfa_token: fresh, method: 'totp', code: right });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // The challenge is void as well: nothing left to use once the lock ends.
      const [c] = await sql<{ consumed_reason: string }>(
        `select consumed_reason from mfa_challenges where user_id = $1 order by created_at desc limit 1`,
        [u.id],
      );
      expect(c.consumed_reason).toBe('account_lockout');
      expect(await auditRows('mfa.lockout', u.tenantId)).toEqual([
        expect.objectContaining({ target_id: u.id, risk_tier: 3 }),
      ]);
    });
  });

  describe('email codes', () => {
    it('a code by mail completes the login with acr mfa-email, amr pwd+email, and a password-length refresh lifetime', async () => {
      const u = await person({ settings: { mfa: { requiredForAll: true } } });
      const { mfa_token, methods } = (await login(u.email)).body;
      expect(methods).toEqual(['email']);
      const sent = await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token });
      expect(sent.status).toBe(202);
      expect(sent.body.expires_in).toBeGreaterThan(0);
      expect(sent.body.expires_in).toBeLessThanOrEqual(300);
      expect(JSON.stringify(sent.body)).not.toMatch(/\d{6}/);
      const code = await emailCode(u.email);
      // Stored sealed, never in clear.
      const [row] = await sql<{ email_code_enc: string }>(
        'select email_code_enc from mfa_challenges where user_id = $1',
        [u.id],
      );
      expect(row.email_code_enc).toMatch(/^v1\./);
      expect(row.email_code_enc).not.toContain(code);
      const res = await verify({ mfa_token, method: 'email', code });
      expect(res.status).toBe(200);
      const claims = decodeJwt(res.body.access_token);
      expect(claims.acr).toBe('urn:tessera:acr:mfa-email');
      expect(claims.amr).toEqual(['pwd', 'email']);
      expect(res.body.refresh_expires_in).toBe(12 * 3600);
      const mail = sink.messagesTo(u.email).at(-1)!;
      expect(mail.subject).not.toContain(code);
      expect(await auditRows('mfa.email.send', u.tenantId)).toHaveLength(1);
    });

    it('a new code voids the previous one; at most 3 per login; a code is single use', async () => {
      const u = await person({ settings: { mfa: { requiredForAll: true } } });
      const { mfa_token } = (await login(u.email)).body;
      expect((await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token })).status).toBe(202);
      const old = await emailCode(u.email);
      expect((await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token })).status).toBe(202);
      await t.app.get(MailService).drain();
      const codes = sink.messagesTo(u.email).filter((m) => m.subject.includes('verification code'));
      expect(codes).toHaveLength(2);
      const fresh = await emailCode(u.email);
      if (old !== fresh)
        expect((await verify({ mfa_token, method: 'email', code: old })).status).toBe(401);
      expect((await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token })).status).toBe(202);
      const third = await emailCode(u.email);
      const fourth = await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token });
      expect(fourth.status).toBe(429);
      expect((await verify({ mfa_token, method: 'email', code: third })).status).toBe(200);
      expect((await verify({ mfa_token, method: 'email', code: third })).status).toBe(401);
    });

    it('an expired code is refused', async () => {
      const u = await person({ settings: { mfa: { requiredForAll: true } } });
      const { mfa_token } = (await login(u.email)).body;
      await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token });
      const code = await emailCode(u.email);
      await sql(
        `update mfa_challenges set email_code_expires_at = now() - interval '1 second' where user_id = $1`,
        [u.id],
      );
      expect((await verify({ mfa_token, method: 'email', code })).status).toBe(401);
      expect((await auditRows('mfa.verify', u.tenantId)).map((r) => r.reason)).toContain(
        'expired_code',
      );
    });

    it('5 wrong email codes void the challenge', async () => {
      const u = await person({ settings: { mfa: { requiredForAll: true } } });
      const { mfa_token } = (await login(u.email)).body;
      await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token });
      const code = await emailCode(u.email);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++)
        expect((await verify({ mfa_token, method: 'email', code: wrong })).status).toBe(401);
      const res = await verify({ mfa_token, method: 'email', code });
      expect(res.body.type).toBe('urn:tessera:problem:invalid-mfa-token');
    });

    it('not offered to an elevated user by default, nor to a TOTP user: asking is 400 and sends nothing', async () => {
      const u = await person();
      await enrolTotpDirectly(t, u);
      const { mfa_token } = (await login(u.email)).body;
      const res = await t.http.post('/v1/auth/mfa/email/send').send({ mfa_token });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:mfa-method-not-available');
      expect((await verify({ mfa_token, method: 'email', code: '123456' })).body.type).toBe(
        'urn:tessera:problem:mfa-method-not-available',
      );
      await t.app.get(MailService).drain();
      expect(sink.messagesTo(u.email)).toHaveLength(0);
    });
  });

  describe('recovery codes', () => {
    it('a recovery code completes a login once, is audited and mailed with the count left', async () => {
      const u = await person({ role: 'tenant_admin' });
      await enrolTotpDirectly(t, u);
      const codes = await recoveryCodesDirectly(t, u);
      secrets.push(...codes);
      const { mfa_token } = (await login(u.email)).body;
      const res = await verify({
        mfa_token,
        method: 'recovery_code',
        code: codes[3].toUpperCase().replace('-', ' '),
      });
      expect(res.status).toBe(200);
      const claims = decodeJwt(res.body.access_token);
      expect(claims.amr).toEqual(['pwd', 'mfa']);
      expect(claims.acr).toBe('urn:tessera:acr:mfa');
      expect(await auditRows('mfa.recovery_code.use', u.tenantId)).toEqual([
        expect.objectContaining({ risk_tier: 3, actor_id: u.id }),
      ]);
      await t.app.get(MailService).drain();
      const mail = sink
        .messagesTo(u.email)
        .find((m) => m.subject.includes('recovery code was used'));
      expect(mail?.text).toContain('9 recovery codes left');
      const again = await verify({
        mfa_token: (await login(u.email)).body.mfa_token,
        method: 'recovery_code',
        code: codes[3],
      });
      expect(again.status).toBe(401);
      const [digests] = await sql<{ d: string }>(
        `select string_agg(code_digest, ',') as d from mfa_recovery_codes where user_id = $1`,
        [u.id],
      );
      for (const c of codes) expect(digests.d).not.toContain(c.replace('-', ''));
    });
  });

  it('no secret or code appears in logs or audit rows', async () => {
    await t.app.get(MailService).drain();
    expect(secrets.length).toBeGreaterThan(5);
    const audit = JSON.stringify(
      await sql('select * from audit_events where action like $1', ['mfa.%']),
    );
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const s of secrets) {
      expect(audit).not.toContain(s);
      expect(text).not.toContain(s);
    }
  });

  // Last: a second app in this process replaces Passport's global `local` strategy, so the
  // first app must not log anyone in after it.
  it('MFA routes are rate limited per IP', async () => {
    const limited = await startApp({
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: uniquePrefix(),
      RATE_LIMIT_AUTH_PER_MINUTE: '3',
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (
            await limited.http
              .post('/v1/auth/mfa/verify')
              .send({ mfa_token: `mfa_${'a'.repeat(43)}`, method: 'totp', code: '123456' })
          ).status,
        );
      expect(statuses).toEqual([401, 401, 401, 429]);
      const sends: number[] = [];
      for (let i = 0; i < 4; i++)
        sends.push(
          (
            await limited.http
              .post('/v1/auth/mfa/email/send')
              .send({ mfa_token: `mfa_${'a'.repeat(43)}` })
          ).status,
        );
      expect(sends).toEqual([401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
  });
});
