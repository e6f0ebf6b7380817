import { AccountEvent, AccountEvents } from '@tessera/auth';
import { PasswordHasher } from '@tessera/password';
import { randomBytes } from 'node:crypto';
import {
  auditRowsOfRequest,
  expireTokensOf,
  mailsTo,
  onlyMailTo,
  startAccountsApp,
  strongPassword,
  tokenMailedTo,
  uniqueEmail,
  userByEmail,
} from './support/accounts-helpers';
import { sql, TestApp } from './support/app';
import { extractLink, SmtpSink } from './support/smtp-sink';
import { auditRows, createTenant, createUser } from './support/test-auth';

const ACCEPTED = {
  status: 'reset_requested',
  message: 'If an account can be reset with this address, we sent a password reset link.',
};

describe('password reset (e2e)', () => {
  let sink: SmtpSink;
  let t: TestApp;
  const events: AccountEvent[] = [];

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startAccountsApp(sink);
    t.app.get(AccountEvents).subscribe((e) => {
      events.push(e);
    });
  });
  afterAll(async () => {
    await t.close();
    await sink.stop();
  });

  const forgot = (email: string) => t.http.post('/v1/auth/password/forgot').send({ email });
  const reset = (token: unknown, password: unknown) =>
    t.http.post('/v1/auth/password/reset').send({ token, password });

  async function activeUser(
    opts: { settings?: object; status?: 'active' | 'pending' | 'disabled' } = {},
  ) {
    const tenant = await createTenant({ settings: opts.settings });
    const password = strongPassword();
    const user = await createUser({
      tenantId: tenant.id,
      password,
      status: opts.status,
      name: 'Grace Hopper',
    });
    return { ...user, password };
  }

  async function requestLink(email: string): Promise<string> {
    expect((await forgot(email)).status).toBe(202);
    return tokenMailedTo(t, sink, email);
  }

  it('answers known and unknown addresses the same; only the known one gets mail', async () => {
    const user = await activeUser();
    const unknown = uniqueEmail('nobody');

    const known = await forgot(user.email);
    const missing = await forgot(unknown);
    expect(known.status).toBe(202);
    expect(missing.status).toBe(202);
    expect(known.body).toEqual(ACCEPTED);
    expect(missing.body).toEqual(known.body);
    expect(Object.keys(missing.headers).sort()).toEqual(Object.keys(known.headers).sort());

    const mail = await onlyMailTo(t, sink, user.email);
    expect(mail.subject).toBe('Reset your Tessera password');
    expect(extractLink(mail, '/reset-password')).toMatch(
      /^http:\/\/tessera\.test\/reset-password\?token=[A-Za-z0-9_-]{43}$/,
    );
    expect(mail.text).toContain('30 minutes');
    expect(await mailsTo(t, sink, unknown)).toEqual([]);

    expect(await auditRowsOfRequest(known.headers['x-request-id'])).toEqual([
      expect.objectContaining({
        action: 'auth.password_reset.request',
        outcome: 'success',
        tenant_id: user.tenantId,
        target_id: user.id,
      }),
    ]);
    // The unknown address is audited on the platform chain, without the address.
    const [unknownRow] = await auditRowsOfRequest(missing.headers['x-request-id']);
    expect(unknownRow).toMatchObject({
      action: 'auth.password_reset.request',
      outcome: 'failure',
      reason: 'unknown_account',
      tenant_id: null,
      target_id: null,
    });
    expect(JSON.stringify(unknownRow)).not.toContain(unknown);
  });

  it.each(['pending', 'disabled'] as const)(
    'sends nothing to a %s user, and audits why',
    async (status) => {
      const user = await activeUser({ status });
      const res = await forgot(user.email);
      expect(res.body).toEqual(ACCEPTED);
      expect(await mailsTo(t, sink, user.email)).toEqual([]);
      expect(await sql(`select 1 from account_tokens where user_id = $1`, [user.id])).toEqual([]);
      expect(await auditRowsOfRequest(res.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.password_reset.request',
          outcome: 'failure',
          reason: `user_${status}`,
          tenant_id: user.tenantId,
        }),
      ]);
    },
  );

  it('a successful reset: new password verifies, old does not, mail sent, sessions hook fired, audited', async () => {
    const user = await activeUser();
    const token = await requestLink(user.email);
    const newPassword = strongPassword();
    events.length = 0;

    const res = await reset(token, newPassword);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'password_reset' });

    const stored = await userByEmail(user.email);
    const hasher = t.app.get(PasswordHasher);
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    expect((await hasher.verify(stored.password_hash!, newPassword)).ok).toBe(true);
    expect((await hasher.verify(stored.password_hash!, user.password)).ok).toBe(false);
    expect(stored.password_changed_at).toBeInstanceOf(Date);

    const mails = await mailsTo(t, sink, user.email);
    expect(mails.map((m) => m.subject)).toEqual([
      'Reset your Tessera password',
      'Your Tessera password was changed',
    ]);
    expect(events).toEqual([
      { type: 'user.password_changed', tenantId: user.tenantId, userId: user.id, reason: 'reset' },
    ]);

    expect(await auditRowsOfRequest(res.headers['x-request-id'])).toEqual([
      expect.objectContaining({
        action: 'auth.password_reset.complete',
        outcome: 'success',
        tenant_id: user.tenantId,
        target_id: user.id,
      }),
      // The Sessions module's subscriber ended every session of the user.
      expect.objectContaining({
        action: 'session.revoke_all',
        actor_type: 'system',
        tenant_id: user.tenantId,
        target_id: user.id,
        reason: 'password_reset',
      }),
    ]);
    // Neither the token nor either password appears anywhere in the tenant's trail.
    const trail = JSON.stringify(
      await sql(`select * from audit_events where tenant_id = $1`, [user.tenantId]),
    );
    for (const secret of [token, newPassword, user.password]) expect(trail).not.toContain(secret);
  });

  it('a weak password → 400 listing the rules, and the link still works afterwards', async () => {
    const user = await activeUser();
    const token = await requestLink(user.email);

    const weak = await reset(token, 'GraceHopper1');
    expect(weak.status).toBe(400);
    expect(weak.body.type).toBe('urn:tessera:problem:weak-password');
    expect((weak.body.violations as { rule: string }[]).map((v) => v.rule)).toEqual(
      expect.arrayContaining(['contains_personal_info', 'too_weak']),
    );
    expect(await auditRowsOfRequest(weak.headers['x-request-id'])).toEqual([
      expect.objectContaining({
        action: 'auth.password_reset.complete',
        outcome: 'failure',
        reason: 'weak_password',
        tenant_id: user.tenantId,
      }),
    ]);
    const [row] = await sql(`select used_at from account_tokens where user_id = $1`, [user.id]);
    expect(row.used_at).toBeNull();
    expect((await userByEmail(user.email)).password_changed_at).toBeNull();

    expect((await reset(token, strongPassword())).status).toBe(200);
  });

  it("applies the tenant's stricter policy", async () => {
    const user = await activeUser({ settings: { passwordPolicy: { minLength: 30 } } });
    const token = await requestLink(user.email);
    const res = await reset(token, strongPassword()); // 20 characters
    expect(res.status).toBe(400);
    expect(res.body.violations).toEqual([
      { rule: 'min_length', message: 'Use at least 30 characters.' },
    ]);
    expect((await reset(token, `${strongPassword()}${strongPassword()}`)).status).toBe(200);
  });

  it('an oversized password (10,000 characters) → 400 before hashing; the link still works', async () => {
    const user = await activeUser();
    const token = await requestLink(user.email);
    const hash = jest.spyOn(t.app.get(PasswordHasher), 'hash');
    try {
      const res = await reset(token, 'y'.repeat(10_000));
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:validation-failed');
      expect(hash).not.toHaveBeenCalled();
    } finally {
      hash.mockRestore();
    }
    expect((await userByEmail(user.email)).password_changed_at).toBeNull();
    expect((await reset(token, strongPassword())).status).toBe(200);
  });

  describe('link states', () => {
    it('a used link → 410 link-used', async () => {
      const user = await activeUser();
      const token = await requestLink(user.email);
      expect((await reset(token, strongPassword())).status).toBe(200);
      const hashAfterFirst = (await userByEmail(user.email)).password_hash;

      const again = await reset(token, strongPassword());
      expect(again.status).toBe(410);
      expect(again.body.type).toBe('urn:tessera:problem:link-used');
      expect((await userByEmail(user.email)).password_hash).toBe(hashAfterFirst);
      expect(await auditRowsOfRequest(again.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.password_reset.complete',
          outcome: 'failure',
          reason: 'link-used',
          tenant_id: user.tenantId,
        }),
      ]);
    });

    it('an expired link → 410 link-expired, password unchanged', async () => {
      const user = await activeUser();
      const token = await requestLink(user.email);
      await expireTokensOf(user.id);
      const res = await reset(token, strongPassword());
      expect(res.status).toBe(410);
      expect(res.body.type).toBe('urn:tessera:problem:link-expired');
      expect((await userByEmail(user.email)).password_changed_at).toBeNull();
      expect(await auditRowsOfRequest(res.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.password_reset.complete',
          outcome: 'failure',
          reason: 'link-expired',
        }),
      ]);
    });

    it('an older link after a new request → 410 link-replaced', async () => {
      const user = await activeUser();
      const first = await requestLink(user.email);
      const second = await requestLink(user.email);
      expect(second).not.toBe(first);
      const res = await reset(first, strongPassword());
      expect(res.status).toBe(410);
      expect(res.body.type).toBe('urn:tessera:problem:link-replaced');
      expect((await reset(second, strongPassword())).status).toBe(200);
    });

    it('garbage → 400 link-invalid', async () => {
      const res = await reset(`${randomBytes(8).toString('hex')}!`, strongPassword());
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:link-invalid');
      expect(await auditRowsOfRequest(res.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.password_reset.complete',
          outcome: 'failure',
          reason: 'link-invalid',
          tenant_id: null,
        }),
      ]);
    });

    it('a user disabled after the link was sent cannot use it', async () => {
      const user = await activeUser();
      const token = await requestLink(user.email);
      await sql(`update users set status = 'disabled' where id = $1`, [user.id]);
      const res = await reset(token, strongPassword());
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:link-invalid');
      expect((await userByEmail(user.email)).password_changed_at).toBeNull();
      expect(await auditRowsOfRequest(res.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.password_reset.complete',
          outcome: 'failure',
          reason: 'user_not_active',
          tenant_id: user.tenantId,
        }),
      ]);
    });
  });

  it('sends at most 5 links per address per hour; the 6th request is the same 202 and sends nothing', async () => {
    const user = await activeUser();
    const responses = [];
    for (let i = 0; i < 6; i++) responses.push(await forgot(user.email));
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(responses[5].body).toEqual(ACCEPTED);
    expect(await mailsTo(t, sink, user.email)).toHaveLength(5);
    expect(await auditRowsOfRequest(responses[5].headers['x-request-id'])).toEqual([
      expect.objectContaining({
        action: 'auth.password_reset.request',
        decision: 'deny',
        reason: 'email_rate_limited',
        tenant_id: null,
      }),
    ]);
    // The same limit applies to an address without an account (it reveals nothing).
    const unknown = uniqueEmail('nobody');
    for (let i = 0; i < 5; i++) await forgot(unknown);
    const sixth = await forgot(unknown);
    expect(sixth.body).toEqual(ACCEPTED);
    expect((await auditRowsOfRequest(sixth.headers['x-request-id']))[0]).toMatchObject({
      reason: 'email_rate_limited',
    });
  });

  it('writes no secret into any audit row of the flow', async () => {
    const user = await activeUser();
    const token = await requestLink(user.email);
    const password = strongPassword();
    await reset(token, 'short');
    await reset(token, password);
    await reset(token, password);
    const rows = [
      ...(await auditRows('auth.password_reset.request', user.tenantId)),
      ...(await auditRows('auth.password_reset.complete', user.tenantId)),
    ];
    expect(rows.map((r) => `${r.outcome}:${r.reason ?? ''}`)).toEqual([
      'success:',
      'failure:weak_password',
      'success:',
      'failure:link-used',
    ]);
    const json = JSON.stringify(rows);
    for (const secret of [token, password, user.password, 'short'])
      expect(json).not.toContain(secret);
  });
});
