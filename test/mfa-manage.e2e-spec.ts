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
import {
  asUser,
  auditRows,
  createTenant,
  createUser,
  signIn,
  TestAuthModule,
} from './support/test-auth';
import { bearer } from './support/session-helpers';

/**
 * Managing second factors over HTTP (real PostgreSQL, Redis, SMTP): enrolment with a session
 * and with the enrolment-only token, step-up, removal, recovery codes, the admin reset, the
 * ciphertext swap, and that no secret is ever shown twice or logged.
 */
const PASSWORD = 'Mfa-Manage-Passw0rd-Long-42';

describeRedis('managing second factors (e2e)', () => {
  let t: TestApp;
  let sink: SmtpSink;
  const logs = new LogCapture();
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
      { logs, extraModules: [TestAuthModule] },
    );
  });
  afterAll(async () => {
    await t.close();
    await sink.stop();
  });

  const login = (email: string, password = PASSWORD) =>
    t.http.post('/v1/auth/login').send({ email, password });

  async function person(
    role: 'member' | 'tenant_admin' | 'domain_admin' = 'member',
    tenantId?: string,
  ) {
    const tenant = tenantId ? { id: tenantId } : await createTenant();
    return createUser({ tenantId: tenant.id, role, password: PASSWORD });
  }

  /** Enrols through the API with a session; returns the secret and the recovery codes. */
  async function enrolViaApi(token: string) {
    const start = await t.http
      .post('/v1/me/mfa/totp')
      .set(bearer(token))
      .send({ password: PASSWORD });
    expect(start.status).toBe(201);
    secrets.push(start.body.secret);
    await awayFromStepEdge(3);
    const confirm = await t.http
      .post('/v1/me/mfa/totp/confirm')
      .set(bearer(token))
      .send({ code: await totpCode(start.body.secret) });
    expect(confirm.status).toBe(200);
    secrets.push(...confirm.body.recovery_codes);
    return {
      secret: start.body.secret as string,
      codes: confirm.body.recovery_codes as string[],
      start: start.body,
    };
  }

  describe('enrolment with a session', () => {
    it('needs the current password; bad or missing input changes nothing', async () => {
      const u = await person();
      const token = (await signIn(u)).access_token;
      const missing = await t.http.post('/v1/me/mfa/totp').set(bearer(token)).send({});
      expect(missing.status).toBe(400);
      expect(missing.body.type).toBe('urn:tessera:problem:validation-failed');
      const wrong = await t.http
        .post('/v1/me/mfa/totp')
        .set(bearer(token))
        .send({ password: 'Not-The-Passw0rd-At-All' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.type).toBe('urn:tessera:problem:invalid-current-password');
      const extra = await t.http
        .post('/v1/me/mfa/totp')
        .set(bearer(token))
        .send({ password: PASSWORD, secret: 'JBSWY3DPEHPK3PXP' });
      expect(extra.status).toBe(400);
      expect(await sql('select 1 from mfa_totp where user_id = $1', [u.id])).toHaveLength(0);
      expect((await auditRows('mfa.totp.enroll', u.tenantId)).map((r) => r.reason)).toEqual([
        'invalid_current_password',
      ]);
    });

    it('returns the secret, an otpauth URI and an SVG QR code once; confirm activates it, returns 10 recovery codes once and ends the other sessions', async () => {
      const u = await person();
      const current = await signIn(u);
      const other = await signIn(u);
      const { secret, codes, start } = await enrolViaApi(current.access_token);
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(start.otpauth_uri).toBe(
        `otpauth://totp/Tessera:${encodeURIComponent(u.email)}?secret=${secret}&issuer=Tessera`,
      );
      expect(start.qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(Buffer.from(start.qr_code.split(',')[1], 'base64').toString('utf8')).toContain('<svg');
      expect(start.expires_in).toBe(900);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);

      // The secret is stored sealed, never in clear; the codes as digests.
      const [row] = await sql<{ secret_enc: string; status: string }>(
        'select secret_enc, status from mfa_totp where user_id = $1',
        [u.id],
      );
      expect(row.status).toBe('active');
      expect(row.secret_enc).not.toContain(secret);
      const stored = JSON.stringify(
        await sql('select * from mfa_recovery_codes where user_id = $1', [u.id]),
      );
      for (const c of codes) expect(stored).not.toContain(c.replace('-', ''));

      expect((await t.http.get('/v1/me').set(bearer(current.access_token))).status).toBe(200);
      expect((await t.http.get('/v1/me').set(bearer(other.access_token))).status).toBe(401);
      expect(
        (await t.http.post('/v1/auth/refresh').send({ refresh_token: other.refresh_token })).status,
      ).toBe(401);

      const status = await t.http.get('/v1/me/mfa').set(bearer(current.access_token));
      expect(status.status).toBe(200);
      expect(status.body).toEqual({
        required: false,
        methods: ['totp', 'recovery_code'],
        totp: 'active',
        totpConfirmedAt: expect.any(String),
        recoveryCodesLeft: 10,
        emailAllowed: true,
      });
      expect(JSON.stringify(status.body)).not.toContain(secret);

      const again = await t.http
        .post('/v1/me/mfa/totp')
        .set(bearer(current.access_token))
        .send({ password: PASSWORD });
      expect(again.status).toBe(409);
      expect(again.body.type).toBe('urn:tessera:problem:totp-already-enrolled');

      expect((await auditRows('mfa.totp.enroll', u.tenantId)).map((r) => r.outcome)).toEqual([
        'success',
      ]);
      expect((await auditRows('mfa.totp.confirm', u.tenantId)).map((r) => r.outcome)).toEqual([
        'success',
      ]);
      await t.app.get(MailService).drain();
      expect(sink.messagesTo(u.email).map((m) => m.subject)).toContain(
        'The sign-in security of your Tessera account changed',
      );

      // The next login asks for the new factor.
      expect((await login(u.email)).body).toMatchObject({
        mfa_required: true,
        methods: ['totp', 'recovery_code'],
      });
    });

    it('a wrong confirmation code is refused (audited) and leaves the enrolment pending; no enrolment, no confirmation', async () => {
      const u = await person();
      const token = (await signIn(u)).access_token;
      const none = await t.http
        .post('/v1/me/mfa/totp/confirm')
        .set(bearer(token))
        .send({ code: '123456' });
      expect(none.status).toBe(409);
      expect(none.body.type).toBe('urn:tessera:problem:no-pending-enrollment');
      const start = await t.http
        .post('/v1/me/mfa/totp')
        .set(bearer(token))
        .send({ password: PASSWORD });
      secrets.push(start.body.secret);
      await awayFromStepEdge(3);
      const right = await totpCode(start.body.secret);
      const res = await t.http
        .post('/v1/me/mfa/totp/confirm')
        .set(bearer(token))
        .send({ code: right === '000000' ? '111111' : '000000' });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:invalid-mfa-code');
      const [row] = await sql<{ status: string }>(
        'select status from mfa_totp where user_id = $1',
        [u.id],
      );
      expect(row.status).toBe('pending');
      expect(await sql('select 1 from mfa_recovery_codes where user_id = $1', [u.id])).toHaveLength(
        0,
      );
      expect(
        (await auditRows('mfa.totp.confirm', u.tenantId)).map((r) => [r.outcome, r.reason]),
      ).toEqual([['failure', 'wrong_code']]);
      // An expired pending enrolment cannot be confirmed.
      await sql(
        `update mfa_totp set created_at = now() - interval '16 minutes' where user_id = $1`,
        [u.id],
      );
      const late = await t.http
        .post('/v1/me/mfa/totp/confirm')
        .set(bearer(token))
        .send({ code: right });
      expect(late.status).toBe(409);
    });
  });

  describe('the enrolment-only token', () => {
    it('an admin without a factor gets it after the password; it is refused by every other route', async () => {
      const u = await person('tenant_admin');
      const member = await person('member', u.tenantId);
      const { enrollment_token } = (await login(u.email)).body;
      expect(enrollment_token).toMatch(/^mfe_/);
      const refused: [string, string, object?][] = [
        ['get', '/v1/me'],
        ['patch', '/v1/me', { name: 'X' }],
        ['get', '/v1/me/mfa'],
        ['delete', '/v1/me/mfa/totp', { password: PASSWORD, code: '123456' }],
        ['post', '/v1/me/mfa/recovery-codes', { password: PASSWORD }],
        [
          'post',
          '/v1/me/password',
          { currentPassword: PASSWORD, newPassword: 'Another-Long-Passw0rd-9' },
        ],
        ['get', '/v1/users'],
        ['get', `/v1/users/${member.id}`],
        ['post', `/v1/users/${member.id}/disable`],
        ['delete', `/v1/users/${member.id}/mfa`],
        ['get', `/v1/tenants/${u.tenantId}`],
        ['get', '/v1/auth/sessions'],
        ['post', '/v1/auth/logout'],
        ['post', '/v1/auth/step-up', { method: 'totp', code: '123456' }],
        ['get', '/v1/audit-events'],
      ];
      for (const [method, path, body] of refused) {
        const req = (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)
          [method](path)
          .set(bearer(enrollment_token));
        const res = await (body ? req.send(body) : req);
        expect({ path, method, status: res.status }).toEqual({ path, method, status: 403 });
      }
      expect(
        (await sql<{ status: string }>('select status from users where id = $1', [member.id]))[0]
          .status,
      ).toBe('active');
      expect(
        (await auditRows('access.denied', u.tenantId)).some((r) =>
          String(r.reason).includes('mfa_enrollment not accepted'),
        ),
      ).toBe(true);
      // It is not a refresh token or an MFA token either.
      expect(
        (await t.http.post('/v1/auth/refresh').send({ refresh_token: enrollment_token })).status,
      ).toBe(401);
    });

    it('enrols without the password, and the confirmation completes the login (MFA session); the token is then dead', async () => {
      const u = await person('tenant_admin');
      const older = await signIn(u, { passwordOnly: true });
      const { enrollment_token } = (await login(u.email)).body;
      const start = await t.http.post('/v1/me/mfa/totp').set(bearer(enrollment_token)).send({});
      expect(start.status).toBe(201);
      secrets.push(start.body.secret);
      await awayFromStepEdge(3);
      const done = await t.http
        .post('/v1/me/mfa/totp/confirm')
        .set(bearer(enrollment_token))
        .send({ code: await totpCode(start.body.secret) });
      expect(done.status).toBe(200);
      expect(done.body.recovery_codes).toHaveLength(10);
      secrets.push(...done.body.recovery_codes);
      const claims = decodeJwt(done.body.access_token);
      expect(claims).toMatchObject({
        sub: u.id,
        amr: ['pwd', 'otp', 'mfa'],
        acr: 'urn:tessera:acr:mfa',
      });
      expect(done.body.refresh_expires_in).toBe(7 * 86400);
      // A fresh MFA login: tier-3 routes pass step-up at once.
      const member = await person('member', u.tenantId);
      expect(
        (await t.http.post(`/v1/users/${member.id}/disable`).set(bearer(done.body.access_token)))
          .status,
      ).toBe(200);
      // Earlier sessions ended; the enrolment token is used up.
      expect((await t.http.get('/v1/me').set(bearer(older.access_token))).status).toBe(401);
      expect(
        (await t.http.post('/v1/me/mfa/totp').set(bearer(enrollment_token)).send({})).status,
      ).toBe(401);
    });

    it('expires after 10 minutes', async () => {
      const u = await person('tenant_admin');
      const { enrollment_token } = (await login(u.email)).body;
      await sql(
        `update mfa_challenges set expires_at = now() - interval '1 second' where user_id = $1`,
        [u.id],
      );
      const res = await t.http.post('/v1/me/mfa/totp').set(bearer(enrollment_token)).send({});
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('invalid_token');
    });
  });

  describe('step-up', () => {
    it('a tier-3 route refuses a password-only session with RFC 9470 insufficient_user_authentication; a step-up with TOTP lets it through', async () => {
      const admin = await person('tenant_admin');
      const secret = await enrolTotpDirectly(t, admin);
      const member = await person('member', admin.tenantId);
      const pw = await signIn(admin, { passwordOnly: true });
      const refused = await t.http
        .post(`/v1/users/${member.id}/disable`)
        .set(bearer(pw.access_token));
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toContain(
        'error="insufficient_user_authentication"',
      );
      expect(refused.headers['www-authenticate']).toContain(
        'acr_values="urn:tessera:acr:mfa urn:tessera:acr:eid-high"',
      );
      expect(refused.body).toMatchObject({
        type: 'urn:tessera:problem:step-up-required',
        max_age: 600,
      });
      // Tier 1 and 2 are unaffected.
      expect((await t.http.get('/v1/users').set(bearer(pw.access_token))).status).toBe(200);

      await awayFromStepEdge(3);
      const up = await t.http
        .post('/v1/auth/step-up')
        .set(bearer(pw.access_token))
        .send({ method: 'totp', code: await totpCode(secret) });
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({
        token_type: 'Bearer',
        acr: 'urn:tessera:acr:mfa',
        amr: ['pwd', 'otp', 'mfa'],
      });
      expect(decodeJwt(up.body.access_token)).toMatchObject({
        amr: ['pwd', 'otp', 'mfa'],
        acr: 'urn:tessera:acr:mfa',
      });
      expect(
        (await t.http.post(`/v1/users/${member.id}/disable`).set(bearer(up.body.access_token)))
          .status,
      ).toBe(200);
      // The session row carries the new facts, so a refresh keeps them.
      const sid = decodeJwt(up.body.access_token).sid as string;
      const [s] = await sql<{ acr: string; amr: string[]; auth_time: Date }>(
        'select acr, amr, auth_time from sessions where id = $1',
        [sid],
      );
      expect(s).toMatchObject({ acr: 'urn:tessera:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
      expect(Date.now() - new Date(s.auth_time).getTime()).toBeLessThan(60_000);
      const refreshed = await t.http
        .post('/v1/auth/refresh')
        .send({ refresh_token: pw.refresh_token });
      expect(decodeJwt(refreshed.body.access_token).acr).toBe('urn:tessera:acr:mfa');
      expect((await auditRows('mfa.step_up', admin.tenantId)).map((r) => r.outcome)).toEqual([
        'success',
      ]);
    });

    it('an MFA authentication older than 10 minutes must be refreshed by a step-up', async () => {
      const admin = await person('tenant_admin');
      const member = await person('member', admin.tenantId);
      const old = await signIn(admin, { authTime: new Date(Date.now() - 11 * 60_000) });
      const res = await t.http.post(`/v1/users/${member.id}/disable`).set(bearer(old.access_token));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('insufficient_user_authentication');
    });

    it('a wrong or replayed code is refused and audited; an unavailable method is 400', async () => {
      const admin = await person('tenant_admin');
      const secret = await enrolTotpDirectly(t, admin);
      const pw = await signIn(admin, { passwordOnly: true });
      await awayFromStepEdge(4);
      const code = await totpCode(secret);
      const wrong = await t.http
        .post('/v1/auth/step-up')
        .set(bearer(pw.access_token))
        .send({ method: 'totp', code: code === '000000' ? '111111' : '000000' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.type).toBe('urn:tessera:problem:invalid-mfa-code');
      expect(
        (
          await t.http
            .post('/v1/auth/step-up')
            .set(bearer(pw.access_token))
            .send({ method: 'totp', code })
        ).status,
      ).toBe(200);
      expect(
        (
          await t.http
            .post('/v1/auth/step-up')
            .set(bearer(pw.access_token))
            .send({ method: 'totp', code })
        ).status,
      ).toBe(400);
      expect((await auditRows('mfa.totp.replay', admin.tenantId)).length).toBe(1);
      const email = await t.http
        .post('/v1/auth/step-up')
        .set(bearer(pw.access_token))
        .send({ method: 'email', code: '123456' });
      expect(email.body.type).toBe('urn:tessera:problem:mfa-method-not-available');
      expect(
        (await auditRows('mfa.step_up', admin.tenantId)).map((r) => [r.outcome, r.reason]),
      ).toEqual([
        ['failure', 'wrong_code'],
        ['success', null],
        ['failure', 'replay'],
      ]);
    });

    it('an emailed code re-authenticates an email-only member, but never satisfies a tier-3 step-up (acr mfa-email)', async () => {
      const tenant = await createTenant({
        settings: { mfa: { requiredForAll: true, allowEmailForElevated: true } },
      });
      const admin = await createUser({
        tenantId: tenant.id,
        role: 'tenant_admin',
        password: PASSWORD,
      });
      const member = await person('member', tenant.id);
      const pw = await signIn(admin, { passwordOnly: true });
      expect(
        (await t.http.post('/v1/auth/step-up/email/send').set(bearer(pw.access_token))).status,
      ).toBe(202);
      await t.app.get(MailService).drain();
      const mail = sink
        .messagesTo(admin.email)
        .filter((m) => m.subject.includes('verification code'))
        .at(-1)!;
      const code = /\b(\d{6})\b/.exec(mail.text)![1];
      secrets.push(code);
      const up = await t.http
        .post('/v1/auth/step-up')
        .set(bearer(pw.access_token))
        .send({ method: 'email', code });
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({ acr: 'urn:tessera:acr:mfa-email', amr: ['pwd', 'email'] });
      const res = await t.http
        .post(`/v1/users/${member.id}/disable`)
        .set(bearer(up.body.access_token));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('insufficient_user_authentication');
      // Single use.
      expect(
        (
          await t.http
            .post('/v1/auth/step-up')
            .set(bearer(pw.access_token))
            .send({ method: 'email', code })
        ).status,
      ).toBe(400);
    });
  });

  describe('removing the authenticator and new recovery codes', () => {
    it('removal needs the password and a valid code; a wrong one changes nothing; success ends the other sessions', async () => {
      const u = await person();
      const current = await signIn(u);
      const { secret } = await enrolViaApi(current.access_token);
      const other = await signIn(u);
      await nextStep();
      const code = await totpCode(secret);
      const badPw = await t.http
        .delete('/v1/me/mfa/totp')
        .set(bearer(current.access_token))
        .send({ password: 'Wrong-Passw0rd-Entirely', code });
      expect(badPw.status).toBe(400);
      expect(badPw.body.type).toBe('urn:tessera:problem:invalid-current-password');
      const badCode = await t.http
        .delete('/v1/me/mfa/totp')
        .set(bearer(current.access_token))
        .send({ password: PASSWORD, code: code === '000000' ? '111111' : '000000' });
      expect(badCode.status).toBe(400);
      expect(badCode.body.type).toBe('urn:tessera:problem:invalid-mfa-code');
      expect(await sql('select 1 from mfa_totp where user_id = $1', [u.id])).toHaveLength(1);
      expect((await t.http.get('/v1/me').set(bearer(other.access_token))).status).toBe(200);

      const ok = await t.http
        .delete('/v1/me/mfa/totp')
        .set(bearer(current.access_token))
        .send({ password: PASSWORD, code });
      expect(ok.status).toBe(204);
      expect(await sql('select 1 from mfa_totp where user_id = $1', [u.id])).toHaveLength(0);
      expect(await sql('select 1 from mfa_recovery_codes where user_id = $1', [u.id])).toHaveLength(
        0,
      );
      expect((await t.http.get('/v1/me').set(bearer(other.access_token))).status).toBe(401);
      expect((await t.http.get('/v1/me').set(bearer(current.access_token))).status).toBe(200);
      expect((await auditRows('mfa.totp.disable', u.tenantId)).map((r) => r.outcome)).toEqual([
        'failure',
        'failure',
        'success',
      ]);
      expect((await login(u.email)).body.access_token).toBeDefined();
    });

    it('a recovery code can stand in for a lost phone when removing it', async () => {
      const u = await person();
      const current = await signIn(u);
      const { codes } = await enrolViaApi(current.access_token);
      const res = await t.http
        .delete('/v1/me/mfa/totp')
        .set(bearer(current.access_token))
        .send({ password: PASSWORD, code: codes[0] });
      expect(res.status).toBe(204);
    });

    it('new recovery codes need the password; the old ones stop working', async () => {
      const u = await person();
      const current = await signIn(u);
      const { secret, codes } = await enrolViaApi(current.access_token);
      expect(
        (
          await t.http
            .post('/v1/me/mfa/recovery-codes')
            .set(bearer(current.access_token))
            .send({ password: 'Wrong-Passw0rd-Entirely' })
        ).status,
      ).toBe(400);
      const res = await t.http
        .post('/v1/me/mfa/recovery-codes')
        .set(bearer(current.access_token))
        .send({ password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body.recovery_codes).toHaveLength(10);
      secrets.push(...res.body.recovery_codes);
      const { mfa_token } = (await login(u.email)).body;
      expect(
        (
          await t.http
            .post('/v1/auth/mfa/verify')
            .send({ mfa_token, method: 'recovery_code', code: codes[0] })
        ).status,
      ).toBe(401);
      expect(
        (
          await t.http
            .post('/v1/auth/mfa/verify')
            .send({ mfa_token, method: 'recovery_code', code: res.body.recovery_codes[0] })
        ).status,
      ).toBe(200);
      expect(await auditRows('mfa.recovery_codes.generate', u.tenantId)).toEqual([
        expect.objectContaining({ outcome: 'failure' }),
        expect.objectContaining({ outcome: 'success' }),
      ]);
      void secret;
    });
  });

  describe('admin reset', () => {
    it("a tenant admin removes a member's factors: every session of the member ends, the member is mailed, and must enrol again if required", async () => {
      const tenant = await createTenant({ settings: { mfa: { requiredForAll: true } } });
      const admin = await createUser({
        tenantId: tenant.id,
        role: 'tenant_admin',
        password: PASSWORD,
      });
      const member = await createUser({ tenantId: tenant.id, password: PASSWORD });
      await enrolTotpDirectly(t, member);
      await recoveryCodesDirectly(t, member);
      await sql('update users set email_verified_at = null where id = $1', [member.id]);
      const memberSession = await signIn(member);
      const res = await t.http.delete(`/v1/users/${member.id}/mfa`).set(asUser(admin.id));
      expect(res.status).toBe(204);
      expect(await sql('select 1 from mfa_totp where user_id = $1', [member.id])).toHaveLength(0);
      expect(
        await sql('select 1 from mfa_recovery_codes where user_id = $1', [member.id]),
      ).toHaveLength(0);
      expect((await t.http.get('/v1/me').set(bearer(memberSession.access_token))).status).toBe(401);
      expect(await auditRows('mfa.reset', tenant.id)).toEqual([
        expect.objectContaining({ actor_id: admin.id, target_id: member.id, risk_tier: 3 }),
      ]);
      await t.app.get(MailService).drain();
      expect(
        sink
          .messagesTo(member.email)
          .some((m) => m.text.includes('An administrator removed the second factors')),
      ).toBe(true);
      expect((await login(member.email)).body.mfa_enrollment_required).toBe(true);
    });

    it('reach and ceiling: another tenant is 404, a higher role 403, oneself 409; a password-only admin session must step up', async () => {
      const tenant = await createTenant();
      const admin = await createUser({
        tenantId: tenant.id,
        role: 'tenant_admin',
        password: PASSWORD,
      });
      const domainAdmin = await createUser({
        tenantId: tenant.id,
        role: 'domain_admin',
        password: PASSWORD,
      });
      const outsider = await person();
      const secret = await enrolTotpDirectly(t, outsider);
      expect(
        (await t.http.delete(`/v1/users/${outsider.id}/mfa`).set(asUser(admin.id))).status,
      ).toBe(404);
      expect(
        (await t.http.delete(`/v1/users/${domainAdmin.id}/mfa`).set(asUser(admin.id))).body.type,
      ).toBe('urn:tessera:problem:target-role-too-high');
      expect((await t.http.delete(`/v1/users/${admin.id}/mfa`).set(asUser(admin.id))).status).toBe(
        409,
      );
      const member = await createUser({ tenantId: tenant.id, password: PASSWORD });
      const memberToken = asUser(member.id);
      expect((await t.http.delete(`/v1/users/${admin.id}/mfa`).set(memberToken)).status).toBe(403);
      const pw = await signIn(admin, { passwordOnly: true });
      expect(
        (await t.http.delete(`/v1/users/${member.id}/mfa`).set(bearer(pw.access_token))).status,
      ).toBe(401);
      expect(await sql('select 1 from mfa_totp where user_id = $1', [outsider.id])).toHaveLength(1);
      void secret;
    });
  });

  it('a TOTP ciphertext copied into another user’s row does not decrypt: the code is refused and the fault logged', async () => {
    const a = await person();
    const b = await person();
    const secretA = await enrolTotpDirectly(t, a);
    await enrolTotpDirectly(t, b);
    secrets.push(secretA);
    await sql(
      `update mfa_totp set secret_enc = (select secret_enc from mfa_totp where user_id = $1) where user_id = $2`,
      [a.id, b.id],
    );
    const { mfa_token } = (await login(b.email)).body;
    await awayFromStepEdge(3);
    const res = await t.http
      .post('/v1/auth/mfa/verify')
      .send({ mfa_token, method: 'totp', code: await totpCode(secretA) });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe('urn:tessera:problem:invalid-mfa-code');
    expect((await auditRows('mfa.verify', b.tenantId)).map((r) => r.reason)).toEqual([
      'secret_undecryptable',
    ]);
    expect(logs.text()).toContain('TOTP secret does not decrypt for this user');
    // The owner's row still works for the owner.
    expect((await loginWithTotp(t.http, a.email, PASSWORD, secretA)).access_token).toBeDefined();
  });

  it('no secret or code appears in any later response, in logs or in audit rows', async () => {
    await t.app.get(MailService).drain();
    expect(secrets.length).toBeGreaterThan(20);
    const audit = JSON.stringify(
      await sql(
        `select * from audit_events where action like 'mfa.%' or action like 'session.%' or action like 'auth.%'`,
      ),
    );
    const text = logs.text();
    for (const s of secrets) {
      expect(audit).not.toContain(s);
      expect(text).not.toContain(s);
    }
  });
});
