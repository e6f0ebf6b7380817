import { PasswordHasher } from '@tessera/password';
import { randomBytes } from 'node:crypto';
import {
  auditRowsOfRequest,
  expireTokensOf,
  mailsTo,
  onlyMailTo,
  signupFootprint,
  startAccountsApp,
  strongPassword,
  tenantById,
  tokenMailedTo,
  uniqueEmail,
  userByEmail,
} from './support/accounts-helpers';
import { sql, startApp, TestApp } from './support/app';
import { extractLink, extractToken, SmtpSink } from './support/smtp-sink';
import { auditRows, createTenant, createUser, PLATFORM_TENANT_ID } from './support/test-auth';

const ACCEPTED = {
  status: 'verification_sent',
  message: 'If the address can be used, we sent a verification link.',
};

function tenantName(): string {
  return `Org ${randomBytes(4).toString('hex')}`;
}

describe('sign-up and email verification (e2e)', () => {
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startAccountsApp(sink);
  });
  afterAll(async () => {
    await t.close();
    await sink.stop();
  });
  afterEach(() => jest.restoreAllMocks());

  const signup = (body: Record<string, unknown>) => t.http.post('/v1/auth/signup').send(body);
  const verify = (token: unknown) => t.http.post('/v1/auth/verify-email').send({ token });
  const resend = (email: string) => t.http.post('/v1/auth/verify-email/resend').send({ email });

  async function signUpNew(overrides: Record<string, string> = {}) {
    const body = {
      email: uniqueEmail(),
      password: strongPassword(),
      name: 'Ada Lovelace',
      tenantName: tenantName(),
      ...overrides,
    };
    const res = await signup(body);
    expect(res.status).toBe(202);
    const user = await userByEmail(body.email);
    return { ...body, res, user };
  }

  it('signs up → mails a link → verifying activates the user and the tenant, all audited', async () => {
    const { email, password, tenantName: orgName, res, user } = await signUpNew();
    expect(res.body).toEqual(ACCEPTED);

    // Persisted: a pending tenant under the platform root and its pending first admin.
    expect(user).toMatchObject({
      status: 'pending',
      role: 'tenant_admin',
      email_verified_at: null,
    });
    expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await t.app.get(PasswordHasher).verify(user.password_hash!, password)).ok).toBe(true);
    const tenant = await tenantById(user.tenant_id);
    expect(tenant).toMatchObject({
      name: orgName,
      status: 'pending',
      parent_id: PLATFORM_TENANT_ID,
    });
    expect(tenant.slug).toMatch(/^org-[0-9a-f]{8}-[0-9a-f]{6}$/);
    const tokens = await sql(
      `select purpose, token_digest from account_tokens where user_id = $1`,
      [user.id],
    );
    expect(tokens).toHaveLength(1);
    expect(tokens[0].purpose).toBe('email_verification');

    const mail = await onlyMailTo(t, sink, email);
    expect(mail.subject).toBe('Verify your email address for Tessera');
    expect(extractLink(mail, '/verify-email')).toMatch(
      /^http:\/\/tessera\.test\/verify-email\?token=[A-Za-z0-9_-]{43}$/,
    );
    const token = extractToken(mail);
    // Stored only as a digest.
    expect(tokens[0].token_digest).not.toContain(token);

    const verified = await verify(token);
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ status: 'verified' });

    const after = await userByEmail(email);
    expect(after.status).toBe('active');
    expect(after.email_verified_at).toBeInstanceOf(Date);
    expect((await tenantById(user.tenant_id)).status).toBe('active');

    const [signupRow] = await auditRows('auth.signup', user.tenant_id);
    expect(signupRow).toMatchObject({
      outcome: 'success',
      actor_type: 'anonymous',
      target_type: 'user',
      target_id: user.id,
      route: '/v1/auth/signup',
    });
    const [verifyRow] = await auditRows('auth.verify_email', user.tenant_id);
    expect(verifyRow).toMatchObject({ outcome: 'success', target_id: user.id });
    expect(verifyRow.params).toEqual({ userActivated: true, tenantActivated: true });
    // No secret anywhere in the tenant's trail.
    const trail = JSON.stringify(
      await sql(`select * from audit_events where tenant_id = $1`, [user.tenant_id]),
    );
    expect(trail).not.toContain(token);
    expect(trail).not.toContain(password);
  });

  describe('each verification link state has its own problem type, and each is audited', () => {
    it('a used link → 410 link-used', async () => {
      const { email, user } = await signUpNew();
      const token = await tokenMailedTo(t, sink, email);
      expect((await verify(token)).status).toBe(200);

      const again = await verify(token);
      expect(again.status).toBe(410);
      expect(again.headers['content-type']).toContain('application/problem+json');
      expect(again.body).toMatchObject({
        type: 'urn:tessera:problem:link-used',
        status: 410,
        title: 'Link already used',
      });
      const rows = await auditRowsOfRequest(again.headers['x-request-id']);
      expect(rows).toEqual([
        expect.objectContaining({
          action: 'auth.verify_email',
          outcome: 'failure',
          reason: 'link-used',
          tenant_id: user.tenant_id,
          target_id: user.id,
        }),
      ]);
    });

    it('a link replaced by a resend → 410 link-replaced; the new link works', async () => {
      const { email, user } = await signUpNew();
      const first = await tokenMailedTo(t, sink, email);

      const res = await resend(email);
      expect(res.status).toBe(202);
      expect(res.body).toEqual(ACCEPTED);
      const mails = await mailsTo(t, sink, email);
      expect(mails).toHaveLength(2);
      const second = extractToken(mails[1]);
      expect(second).not.toBe(first);
      const [resendRow] = await auditRows('auth.verify_email.resend', user.tenant_id);
      expect(resendRow).toMatchObject({ outcome: 'success', target_id: user.id });

      const old = await verify(first);
      expect(old.status).toBe(410);
      expect(old.body.type).toBe('urn:tessera:problem:link-replaced');
      expect(await auditRowsOfRequest(old.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.verify_email',
          outcome: 'failure',
          reason: 'link-replaced',
          tenant_id: user.tenant_id,
        }),
      ]);
      expect((await userByEmail(email)).status).toBe('pending');

      expect((await verify(second)).status).toBe(200);
      expect((await userByEmail(email)).status).toBe('active');
    });

    it('an expired link → 410 link-expired, and nothing is activated', async () => {
      const { email, user } = await signUpNew();
      const token = await tokenMailedTo(t, sink, email);
      await expireTokensOf(user.id);

      const res = await verify(token);
      expect(res.status).toBe(410);
      expect(res.body.type).toBe('urn:tessera:problem:link-expired');
      expect(await auditRowsOfRequest(res.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.verify_email',
          outcome: 'failure',
          reason: 'link-expired',
          tenant_id: user.tenant_id,
        }),
      ]);
      expect((await userByEmail(email)).status).toBe('pending');
      expect((await tenantById(user.tenant_id)).status).toBe('pending');
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['a well-formed unknown token', randomBytes(32).toString('base64url')],
      ['an empty string', ''],
    ])('%s → 400 link-invalid, audited on the platform chain', async (_what, token) => {
      const res = await verify(token);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: 'urn:tessera:problem:link-invalid', status: 400 });
      expect(await auditRowsOfRequest(res.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          action: 'auth.verify_email',
          outcome: 'failure',
          reason: 'link-invalid',
          tenant_id: null,
        }),
      ]);
    });

    it('a token of another purpose is link-invalid and is not consumed', async () => {
      const tenant = await createTenant();
      const user = await createUser({ tenantId: tenant.id, password: strongPassword() });
      expect(
        (await t.http.post('/v1/auth/password/forgot').send({ email: user.email })).status,
      ).toBe(202);
      const resetToken = await tokenMailedTo(t, sink, user.email);

      const res = await verify(resetToken);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:link-invalid');
      const [row] = await sql(`select used_at from account_tokens where user_id = $1`, [user.id]);
      expect(row.used_at).toBeNull();
    });
  });

  describe('resend', () => {
    it('answers the same for an unknown address and sends nothing', async () => {
      const email = uniqueEmail('nobody');
      const res = await resend(email);
      expect(res.status).toBe(202);
      expect(res.body).toEqual(ACCEPTED);
      expect(await mailsTo(t, sink, email)).toEqual([]);
    });

    it('sends nothing to an account that is already verified, nor to an invited user', async () => {
      const { email } = await signUpNew();
      expect((await verify(await tokenMailedTo(t, sink, email))).status).toBe(200);
      expect((await resend(email)).body).toEqual(ACCEPTED);
      expect(await mailsTo(t, sink, email)).toHaveLength(1);

      // Invited users (pending, no password) activate through their invitation only.
      const tenant = await createTenant();
      const invited = await createUser({ tenantId: tenant.id, status: 'pending' });
      await sql(`update users set email_verified_at = null where id = $1`, [invited.id]);
      expect((await resend(invited.email)).body).toEqual(ACCEPTED);
      expect(await mailsTo(t, sink, invited.email)).toEqual([]);
    });

    it('sends at most 3 links per address per 15 minutes, silently', async () => {
      const { email } = await signUpNew();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await resend(email)).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202]);
      // The sign-up mail plus three resends.
      expect(await mailsTo(t, sink, email)).toHaveLength(4);
    });
  });

  describe('an address that already has an account', () => {
    it('gets the same status and body, creates no rows, and the owner is told by mail', async () => {
      const owner = await signUpNew();
      const ownerMails = (await mailsTo(t, sink, owner.email)).length;
      const orgName = tenantName();
      const before = await signupFootprint(owner.email, orgName);

      // Same address in another case and Unicode form: the same account.
      const variant = owner.email.toUpperCase().replace('@', '＠');
      const res = await signup({
        email: variant,
        password: strongPassword(),
        name: 'Mallory',
        tenantName: orgName,
      });
      expect(res.status).toBe(202);
      expect(res.body).toEqual(ACCEPTED);
      expect(Object.keys(res.headers).sort()).toEqual(Object.keys(owner.res.headers).sort());

      expect(await signupFootprint(owner.email, orgName)).toEqual(before);
      expect(before).toEqual({ tenants: 0, users: 1, account_tokens: 1 });

      const mails = await mailsTo(t, sink, owner.email);
      expect(mails).toHaveLength(ownerMails + 1);
      const notice = mails.at(-1)!;
      expect(notice.subject).toBe('Sign-up attempt with your Tessera email address');
      expect(notice.text).toContain('Ada Lovelace');
      expect(extractLink(notice)).toBe('http://tessera.test/forgot-password');
      expect(notice.text).not.toMatch(/token=/);

      const rows = await auditRowsOfRequest(res.headers['x-request-id']);
      expect(rows).toEqual([
        expect.objectContaining({
          action: 'auth.signup',
          outcome: 'failure',
          reason: 'email_exists',
          tenant_id: owner.user.tenant_id,
          target_id: owner.user.id,
        }),
      ]);
      // The existing account is untouched.
      expect(await userByEmail(owner.email)).toEqual(owner.user);
    });

    it('does the same password hashing as a new sign-up (no timing difference from skipped work)', async () => {
      const hash = jest.spyOn(t.app.get(PasswordHasher), 'hash');
      await signUpNew();
      expect(hash).toHaveBeenCalledTimes(1);

      const tenant = await createTenant();
      const existing = await createUser({ tenantId: tenant.id });
      hash.mockClear();
      const res = await signup({
        email: existing.email,
        password: strongPassword(),
        name: 'Eve',
        tenantName: tenantName(),
      });
      expect(res.status).toBe(202);
      expect(hash).toHaveBeenCalledTimes(1);
    });

    it('two concurrent sign-ups with one new address create one account; the other is told as existing', async () => {
      const email = uniqueEmail('race');
      const orgA = tenantName();
      const orgB = tenantName();
      const [a, b] = await Promise.all([
        signup({ email, password: strongPassword(), name: 'Racer One', tenantName: orgA }),
        signup({ email, password: strongPassword(), name: 'Racer Two', tenantName: orgB }),
      ]);
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(a.body).toEqual(b.body);

      const users = await sql(`select tenant_id from users where email_normalized = $1`, [email]);
      expect(users).toHaveLength(1);
      const tenants = await sql(`select id from tenants where name = any($1)`, [[orgA, orgB]]);
      expect(tenants).toEqual([{ id: users[0].tenant_id }]);
      const subjects = (await mailsTo(t, sink, email)).map((m) => m.subject).sort();
      expect(subjects).toEqual([
        'Sign-up attempt with your Tessera email address',
        'Verify your email address for Tessera',
      ]);
    });
  });

  describe('refused input persists nothing', () => {
    it('a weak password → 400 weak-password listing every broken rule', async () => {
      const email = uniqueEmail('weak');
      const orgName = tenantName();
      const hash = jest.spyOn(t.app.get(PasswordHasher), 'hash');
      const res = await signup({
        email,
        password: 'lovelace',
        name: 'Ada Lovelace',
        tenantName: orgName,
      });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:weak-password');
      const rules = (res.body.violations as { rule: string }[]).map((v) => v.rule).sort();
      expect(rules).toEqual([
        'common_password',
        'contains_personal_info',
        'min_length',
        'too_weak',
      ]);
      expect(hash).not.toHaveBeenCalled();
      expect(await signupFootprint(email, orgName)).toEqual({
        tenants: 0,
        users: 0,
        account_tokens: 0,
      });
      expect(await mailsTo(t, sink, email)).toEqual([]);
    });

    it('the organisation name counts as personal data', async () => {
      const res = await signup({
        email: uniqueEmail(),
        password: 'Zanzibar Quokka Networks 77',
        name: 'Ada',
        tenantName: 'Zanzibar Quokka Networks',
      });
      expect(res.status).toBe(400);
      expect((res.body.violations as { rule: string }[]).map((v) => v.rule)).toContain(
        'contains_personal_info',
      );
    });

    it('an oversized password (10,000 characters) → 400 before any hashing', async () => {
      const email = uniqueEmail('huge');
      const orgName = tenantName();
      const hash = jest.spyOn(t.app.get(PasswordHasher), 'hash');
      const res = await signup({
        email,
        password: 'x'.repeat(10_000),
        name: 'Ada',
        tenantName: orgName,
      });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:validation-failed');
      expect(res.body.errors).toEqual([
        { field: 'password', messages: ['password must be at most 256 characters'] },
      ]);
      expect(JSON.stringify(res.body)).not.toContain('xxxx');
      expect(hash).not.toHaveBeenCalled();
      expect(await signupFootprint(email, orgName)).toEqual({
        tenants: 0,
        users: 0,
        account_tokens: 0,
      });
    });

    it.each([
      ['an invalid address', { email: 'not-an-address' }, 'email'],
      ['a display name', { email: 'Eve <eve@example.test>' }, 'email'],
      ['two addresses', { email: 'a@example.test,b@example.test' }, 'email'],
      ['a domain without TLD', { email: 'eve@localhost' }, 'email'],
      ['an empty tenant name', { tenantName: '   ' }, 'tenantName'],
      ['a tenant name over 200 characters', { tenantName: 'a'.repeat(201) }, 'tenantName'],
      ['a name with a line break', { name: 'Eve\nBcc: x@example.test' }, 'name'],
      ['an unknown field', { role: 'system_admin' }, 'role'],
    ])('%s → 400 validation-failed', async (_what, override, field) => {
      const body = {
        email: uniqueEmail('bad'),
        password: strongPassword(),
        name: 'Eve',
        tenantName: tenantName(),
        ...override,
      };
      const res = await signup(body);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:tessera:problem:validation-failed');
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual([field]);
      expect(await signupFootprint(String(body.email), String(body.tenantName))).toEqual({
        tenants: 0,
        users: 0,
        account_tokens: 0,
      });
    });
  });

  it('sends at most 5 sign-up mails per address per hour; beyond, the same 202 and nothing sent', async () => {
    const tenant = await createTenant();
    const existing = await createUser({ tenantId: tenant.id });
    const responses = [];
    for (let i = 0; i < 6; i++) {
      responses.push(
        await signup({
          email: existing.email,
          password: strongPassword(),
          name: 'Eve',
          tenantName: tenantName(),
        }),
      );
    }
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(responses[5].body).toEqual(ACCEPTED);
    expect(await mailsTo(t, sink, existing.email)).toHaveLength(5);
    // The dropped attempt is audited (platform chain: it was refused before any lookup).
    expect(await auditRowsOfRequest(responses[5].headers['x-request-id'])).toEqual([
      expect.objectContaining({
        action: 'auth.signup',
        outcome: 'failure',
        decision: 'deny',
        reason: 'email_rate_limited',
        tenant_id: null,
      }),
    ]);
  });

  it('the per-IP auth limit answers 429 with Retry-After', async () => {
    const limited = await startApp({ SMTP_URL: sink.url, RATE_LIMIT_AUTH_PER_MINUTE: '2' });
    try {
      const responses = [];
      for (let i = 0; i < 3; i++)
        responses.push(
          await limited.http.post('/v1/auth/verify-email/resend').send({ email: uniqueEmail() }),
        );
      expect(responses.map((r) => r.status)).toEqual([202, 202, 429]);
      const refused = responses[2];
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body.type).toBe('urn:tessera:problem:rate-limited');
    } finally {
      await limited.close();
    }
  });
});
