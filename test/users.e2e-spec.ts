import { AccountEvent } from '@tessera/auth';
import { PasswordHasher } from '@tessera/password';
import { enrolTotpDirectly, loginWithTotp } from './support/mfa-helpers';
import { sql, startApp, TestApp } from './support/app';
import { extractLink, SmtpSink } from './support/smtp-sink';
import {
  asUser,
  auditRows,
  createTenant,
  createUser,
  PLATFORM_TENANT_ID,
  TestAuthModule,
  uniqueSlug,
} from './support/test-auth';
import {
  auditRowsFor,
  captureAccountEvents,
  latestToken,
  mailsTo,
  strongPassword,
  uniqueUserEmail,
  userRow,
  userRowByEmail,
} from './support/users-helpers';

const problem = (code: string) => `urn:tessera:problem:${code}`;
const USER_DTO_KEYS = [
  'createdAt',
  'email',
  'emailVerified',
  'id',
  'lastLoginAt',
  'name',
  'role',
  'status',
  'tenantId',
  'updatedAt',
];

describe('users (admin API, invitations, activation, self-service)', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let events: AccountEvent[];
  /** Every token and password this file sends: none may ever appear in an audit row. */
  const secrets: string[] = [];
  const touchedTenants = new Set<string>();

  let tenantA: { id: string; slug: string };
  let tenantB: { id: string; slug: string };
  let adminA: { id: string; email: string };
  let memberB: { id: string; email: string };
  let adminB: { id: string; email: string };

  const invite = (asId: string, body: Record<string, unknown>, query = '') =>
    t.http.post(`/v1/users/invitations${query}`).set(asUser(asId)).send(body);
  const activate = (token: string, password: string) => {
    secrets.push(token, password);
    return t.http.post('/v1/auth/activate').send({ token, password });
  };

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startApp(
      {
        SMTP_URL: sink.url,
        RATE_LIMIT_AUTH_PER_MINUTE: '10000',
        RATE_LIMIT_DEFAULT_PER_MINUTE: '100000',
      },
      { extraModules: [TestAuthModule] },
    );
    events = captureAccountEvents(t);
    tenantA = await createTenant({ name: 'Acme Anvils' });
    tenantB = await createTenant({ name: 'Bolt Brothers' });
    touchedTenants.add(tenantA.id).add(tenantB.id);
    adminA = await createUser({ tenantId: tenantA.id, role: 'tenant_admin', name: 'Ada Admin' });
    // A second admin, so rules about the last admin never trip over tenant A.
    await createUser({ tenantId: tenantA.id, role: 'tenant_admin', name: 'Second Admin' });
    adminB = await createUser({ tenantId: tenantB.id, role: 'tenant_admin' });
    memberB = await createUser({ tenantId: tenantB.id, role: 'member', name: 'Bea Member' });
  });

  afterAll(async () => {
    await t.close();
    await sink.stop();
  });

  describe('invitation → activation', () => {
    it('invites, mails a link, refuses a weak password without burning the link, then activates', async () => {
      const email = uniqueUserEmail('nora');
      const res = await invite(adminA.id, { email, name: 'Nora Invitee', role: 'member' });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(USER_DTO_KEYS);
      expect(res.body).toMatchObject({
        tenantId: tenantA.id,
        email,
        name: 'Nora Invitee',
        status: 'pending',
        role: 'member',
        emailVerified: false,
        lastLoginAt: null,
      });
      const userId = res.body.id as string;

      const row = await userRow(userId);
      expect(row).toMatchObject({
        status: 'pending',
        password_hash: null,
        email_verified_at: null,
      });
      const [inviteAudit] = await auditRowsFor(userId, 'user.invite');
      expect(inviteAudit).toMatchObject({
        outcome: 'success',
        tenant_id: tenantA.id,
        actor_type: 'user',
        actor_id: adminA.id,
      });

      const [mail] = await mailsTo(t, sink, email);
      expect(mail.subject).toContain('Acme Anvils');
      expect(mail.text).toContain('Ada Admin');
      const link = extractLink(mail, '/activate');
      expect(link.startsWith('http://tessera.test/activate?token=')).toBe(true);
      const token = new URL(link).searchParams.get('token')!;
      expect(JSON.stringify(res.body)).not.toContain(token);

      // Weak: common, and contains the user's name.
      const weak = await activate(token, 'noranoranora');
      expect(weak.status).toBe(400);
      expect(weak.body.type).toBe(problem('weak-password'));
      const rules = (weak.body.violations as { rule: string }[]).map((v) => v.rule);
      expect(rules).toEqual(expect.arrayContaining(['contains_personal_info', 'too_weak']));
      expect((await userRow(userId)).status).toBe('pending');

      const password = strongPassword();
      const ok = await activate(token, password);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ status: 'active' });

      const after = await userRow(userId);
      expect(after.status).toBe('active');
      expect(after.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(after.email_verified_at).not.toBeNull();
      expect(after.password_changed_at).not.toBeNull();
      expect(await t.app.get(PasswordHasher).verify(after.password_hash!, password)).toEqual({
        ok: true,
        needsRehash: false,
      });

      const activations = await auditRowsFor(userId, 'auth.activate');
      expect(activations.map((r) => [r.outcome, r.reason])).toEqual([
        ['failure', 'weak-password'],
        ['success', null],
      ]);
      expect(activations.every((r) => r.tenant_id === tenantA.id)).toBe(true);
      expect(events).toContainEqual({
        type: 'user.password_changed',
        tenantId: tenantA.id,
        userId,
        reason: 'activation',
      });

      // Single use.
      const again = await activate(token, strongPassword());
      expect(again.status).toBe(410);
      expect(again.body.type).toBe(problem('link-used'));
      expect((await auditRowsFor(userId, 'auth.activate')).at(-1)).toMatchObject({
        outcome: 'failure',
        reason: 'link-used',
      });
      expect((await userRow(userId)).password_hash).toBe(after.password_hash);
    });

    it('a resent invitation voids the previous link (link-replaced)', async () => {
      const email = uniqueUserEmail('resend');
      const res = await invite(adminA.id, { email, name: 'Rhea Resend' });
      expect(res.status).toBe(201);
      expect(res.body.role).toBe('member');
      const first = await latestToken(t, sink, email);

      const resent = await t.http
        .post(`/v1/users/${res.body.id}/invitation/resend`)
        .set(asUser(adminA.id));
      expect(resent.status).toBe(200);
      expect(resent.body).toMatchObject({ id: res.body.id, status: 'pending' });
      expect(await mailsTo(t, sink, email)).toHaveLength(2);
      const second = await latestToken(t, sink, email);
      expect(second).not.toBe(first);
      expect(await auditRowsFor(res.body.id, 'user.invitation_resend')).toHaveLength(1);

      const old = await activate(first, strongPassword());
      expect(old.status).toBe(410);
      expect(old.body.type).toBe(problem('link-replaced'));
      expect((await activate(second, strongPassword())).status).toBe(200);

      // Not pending any more: nothing to resend.
      const notPending = await t.http
        .post(`/v1/users/${res.body.id}/invitation/resend`)
        .set(asUser(adminA.id));
      expect(notPending.status).toBe(409);
      expect(notPending.body.type).toBe(problem('user-not-pending'));
    });

    it('an expired invitation link is 410 link-expired, audited, and the user stays pending', async () => {
      const email = uniqueUserEmail('exp');
      const res = await invite(adminA.id, { email, name: 'Ex Pired' });
      const token = await latestToken(t, sink, email);
      await sql(
        `update account_tokens set expires_at = now() - interval '1 second' where user_id = $1`,
        [res.body.id],
      );
      const act = await activate(token, strongPassword());
      expect(act.status).toBe(410);
      expect(act.body.type).toBe(problem('link-expired'));
      expect((await userRow(res.body.id)).status).toBe('pending');
      expect((await auditRowsFor(res.body.id, 'auth.activate')).at(-1)).toMatchObject({
        outcome: 'failure',
        reason: 'link-expired',
      });
    });

    it('refuses an unknown or malformed token as link-invalid and audits it', async () => {
      const bogus = 'A'.repeat(43);
      const res = await activate(bogus, strongPassword());
      expect(res.status).toBe(400);
      expect(res.body.type).toBe(problem('link-invalid'));
    });

    it('refuses an oversized password with 400 before any hashing, and the link stays usable', async () => {
      const email = uniqueUserEmail('big');
      const res = await invite(adminA.id, { email, name: 'Big Password' });
      const token = await latestToken(t, sink, email);
      const hasher = t.app.get(PasswordHasher);
      const hash = jest.spyOn(hasher, 'hash');
      const verify = jest.spyOn(hasher, 'verify');
      try {
        const big = await t.http
          .post('/v1/auth/activate')
          .send({ token, password: 'x'.repeat(10_000) });
        expect(big.status).toBe(400);
        expect(big.body.type).toBe(problem('validation-failed'));
        expect(JSON.stringify(big.body)).not.toContain('xxxxxxxxxx');
        const bigChange = await t.http
          .post('/v1/me/password')
          .set(asUser(adminA.id))
          .send({ currentPassword: 'y'.repeat(10_000), newPassword: strongPassword() });
        expect(bigChange.status).toBe(400);
        expect(hash).not.toHaveBeenCalled();
        expect(verify).not.toHaveBeenCalled();
      } finally {
        hash.mockRestore();
        verify.mockRestore();
      }
      expect((await userRow(res.body.id)).status).toBe('pending');
      expect((await activate(token, strongPassword())).status).toBe(200);
    });

    it('limits attempts per link: the 6th within 15 minutes is 429 with Retry-After, even with a good password', async () => {
      const email = uniqueUserEmail('limit');
      const res = await invite(adminA.id, { email, name: 'Lim Itt' });
      const token = await latestToken(t, sink, email);
      for (let i = 0; i < 5; i++) expect((await activate(token, 'limitlimit')).status).toBe(400);
      const refused = await activate(token, strongPassword());
      expect(refused.status).toBe(429);
      expect(refused.body.type).toBe(problem('rate-limited'));
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
      expect((await userRow(res.body.id)).status).toBe('pending');
      const [denied] = (await auditRows('auth.activate', null)).filter(
        (r) => r.reason === 'rate-limited',
      );
      expect(denied).toMatchObject({ outcome: 'failure', decision: 'deny' });
    });

    it('a disabled invitee cannot activate: its link is void', async () => {
      const email = uniqueUserEmail('voided');
      const res = await invite(adminA.id, { email, name: 'Void Ed' });
      const token = await latestToken(t, sink, email);
      expect(
        (await t.http.post(`/v1/users/${res.body.id}/disable`).set(asUser(adminA.id))).status,
      ).toBe(200);
      const act = await activate(token, strongPassword());
      expect(act.status).toBe(410);
      expect(act.body.type).toBe(problem('link-replaced'));
      expect((await userRow(res.body.id)).status).toBe('disabled');
      // Re-enabled without ever setting a password: back to pending, not active.
      const enabled = await t.http.post(`/v1/users/${res.body.id}/enable`).set(asUser(adminA.id));
      expect(enabled.body.status).toBe('pending');
    });
  });

  describe('invitation rules', () => {
    it('a tenant_admin cannot invite a domain_admin: 403 role-not-allowed, nothing persisted, audited', async () => {
      const email = uniqueUserEmail('esc');
      const res = await invite(adminA.id, { email, name: 'Esca Lation', role: 'domain_admin' });
      expect(res.status).toBe(403);
      expect(res.body.type).toBe(problem('role-not-allowed'));
      expect(await userRowByEmail(email)).toBeUndefined();
      expect(await mailsTo(t, sink, email)).toHaveLength(0);
      const refused = (await auditRows('user.invite', tenantA.id)).filter(
        (r) => (r.params as { email?: string }).email === email,
      );
      expect(refused).toEqual([
        expect.objectContaining({
          outcome: 'failure',
          decision: 'deny',
          reason: 'role-not-allowed',
        }),
      ]);

      // A tenant_admin may appoint another tenant_admin.
      expect(
        (
          await invite(adminA.id, {
            email: uniqueUserEmail('ta'),
            name: 'Peer Admin',
            role: 'tenant_admin',
          })
        ).status,
      ).toBe(201);
    });

    it('system_admin: only a system admin grants it, and only in the platform tenant', async () => {
      const domainTenant = await createTenant();
      touchedTenants.add(domainTenant.id);
      const domainAdmin = await createUser({ tenantId: domainTenant.id, role: 'domain_admin' });
      const sysAdmin = await createUser({ tenantId: PLATFORM_TENANT_ID, role: 'system_admin' });

      const byDomain = await invite(domainAdmin.id, {
        email: uniqueUserEmail('sys'),
        name: 'Sys Wannabe',
        role: 'system_admin',
      });
      expect(byDomain.status).toBe(403);
      expect(
        (
          await invite(domainAdmin.id, {
            email: uniqueUserEmail('dom'),
            name: 'Dom Peer',
            role: 'domain_admin',
          })
        ).status,
      ).toBe(201);

      const elsewhere = await invite(
        sysAdmin.id,
        { email: uniqueUserEmail('sys'), name: 'Sys Else', role: 'system_admin' },
        `?tenantId=${tenantA.id}`,
      );
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.body.type).toBe(problem('role-not-allowed'));

      const email = uniqueUserEmail('sys');
      const ok = await invite(sysAdmin.id, { email, name: 'Sys Two', role: 'system_admin' });
      expect(ok.status).toBe(201);
      expect(ok.body.tenantId).toBe(PLATFORM_TENANT_ID);
    });

    it('an email taken anywhere on the platform is 409 email-taken (case and NFKC folded)', async () => {
      const shouty = memberB.email.toUpperCase().replace('@', '＠'); // fullwidth @ folds to @ under NFKC
      const res = await invite(adminA.id, { email: shouty, name: 'Dupe' });
      expect(res.status).toBe(409);
      expect(res.body.type).toBe(problem('email-taken'));
      expect((await userRow(memberB.id)).tenant_id).toBe(tenantB.id);
    });

    it("enforces the tenant's allowed email domains", async () => {
      const corp = await createTenant({ settings: { allowedEmailDomains: ['corp.example'] } });
      touchedTenants.add(corp.id);
      const corpAdmin = await createUser({
        tenantId: corp.id,
        role: 'tenant_admin',
        email: `adm-${uniqueSlug()}@corp.example`,
      });
      const outside = `x-${uniqueSlug()}@other.example`;
      const refused = await invite(corpAdmin.id, { email: outside, name: 'Out Sider' });
      expect(refused.status).toBe(400);
      expect(refused.body.type).toBe(problem('email-domain-not-allowed'));
      expect(await userRowByEmail(outside)).toBeUndefined();
      expect(
        (await invite(corpAdmin.id, { email: `in-${uniqueSlug()}@Corp.Example`, name: 'In Sider' }))
          .status,
      ).toBe(201);
    });

    it('validates the body: bad email, empty name, unknown role, extra fields → 400', async () => {
      for (const body of [
        { email: 'not-an-email', name: 'X' },
        { email: uniqueUserEmail(), name: '   ' },
        { email: uniqueUserEmail(), name: 'X', role: 'owner' },
        { email: uniqueUserEmail(), name: 'X', tenantId: tenantB.id },
        { email: uniqueUserEmail(), name: 'X', password: 'whatever-whatever' },
      ]) {
        const res = await invite(adminA.id, body);
        expect(res.status).toBe(400);
        expect(res.body.type).toBe(problem('validation-failed'));
      }
    });

    it('a member cannot invite (403)', async () => {
      expect((await invite(memberB.id, { email: uniqueUserEmail(), name: 'Nope' })).status).toBe(
        403,
      );
    });
  });

  describe('tenant boundaries', () => {
    it("an admin of tenant A gets 404 for tenant B's user on every route; nothing changes; access.denied audited", async () => {
      const before = await userRow(memberB.id);
      const deniedBefore = (await auditRows('access.denied', tenantA.id)).filter(
        (r) => r.target_id === memberB.id,
      ).length;
      const as = asUser(adminA.id);
      const responses = [
        await t.http.get(`/v1/users/${memberB.id}`).set(as),
        await t.http.patch(`/v1/users/${memberB.id}`).set(as).send({ name: 'Hijacked' }),
        await t.http.post(`/v1/users/${memberB.id}/disable`).set(as),
        await t.http.post(`/v1/users/${memberB.id}/enable`).set(as),
        await t.http.post(`/v1/users/${memberB.id}/invitation/resend`).set(as),
        await t.http.delete(`/v1/users/${memberB.id}`).set(as),
      ];
      for (const r of responses) {
        expect(r.status).toBe(404);
        expect(r.body.type).toBe(problem('not-found'));
      }
      // Same answer as an id that does not exist.
      const unknown = await t.http.get('/v1/users/00000000-0000-4000-8000-000000000000').set(as);
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toBe(responses[0].body.detail);

      const after = await userRow(memberB.id);
      expect(after).toEqual(before);
      const denied = (await auditRows('access.denied', tenantA.id)).filter(
        (r) => r.target_id === memberB.id,
      );
      expect(denied.length - deniedBefore).toBe(6);
      expect(denied.at(-1)).toMatchObject({
        decision: 'deny',
        actor_id: adminA.id,
        tenant_id: tenantA.id,
      });
      expect(events.filter((e) => 'userId' in e && e.userId === memberB.id)).toEqual([]);
    });

    it('a tenant admin cannot list or invite into another tenant with ?tenantId= (403, audited, nothing persisted)', async () => {
      const list = await t.http.get(`/v1/users?tenantId=${tenantB.id}`).set(asUser(adminA.id));
      expect(list.status).toBe(403);
      const email = uniqueUserEmail('cross');
      const inv = await invite(
        adminA.id,
        { email, name: 'Cross Tenant' },
        `?tenantId=${tenantB.id}`,
      );
      expect(inv.status).toBe(403);
      expect(await userRowByEmail(email)).toBeUndefined();
      const denied = (await auditRows('access.denied', tenantA.id)).filter(
        (r) => r.target_id === tenantB.id,
      );
      expect(denied.length).toBeGreaterThanOrEqual(2);
    });

    it('a domain admin acts on users of a child tenant, but not of a sibling', async () => {
      const parent = await createTenant({ name: 'Reseller Root' });
      const child = await createTenant({ parentId: parent.id, name: 'Merchant Child' });
      touchedTenants.add(parent.id).add(child.id);
      const domainAdmin = await createUser({ tenantId: parent.id, role: 'domain_admin' });
      const childAdmin = await createUser({ tenantId: child.id, role: 'tenant_admin' });
      const childMember = await createUser({
        tenantId: child.id,
        role: 'member',
        name: 'Child Member',
      });
      const as = asUser(domainAdmin.id);

      expect((await t.http.get(`/v1/users/${childMember.id}`).set(as)).body).toMatchObject({
        id: childMember.id,
        tenantId: child.id,
      });
      const renamed = await t.http
        .patch(`/v1/users/${childMember.id}`)
        .set(as)
        .send({ name: 'Renamed By Reseller' });
      expect(renamed.status).toBe(200);
      expect((await userRow(childMember.id)).name).toBe('Renamed By Reseller');
      const [update] = await auditRowsFor(childMember.id, 'user.update');
      expect(update).toMatchObject({ tenant_id: child.id, actor_id: domainAdmin.id });

      const list = await t.http.get(`/v1/users?tenantId=${child.id}`).set(as);
      expect(list.status).toBe(200);
      expect((list.body.items as { id: string }[]).map((u) => u.id).sort()).toEqual(
        [childAdmin.id, childMember.id].sort(),
      );

      const inv = await invite(
        domainAdmin.id,
        { email: uniqueUserEmail('child'), name: 'Child Invitee' },
        `?tenantId=${child.id}`,
      );
      expect(inv.status).toBe(201);
      expect(inv.body.tenantId).toBe(child.id);

      const disabled = await t.http.post(`/v1/users/${childMember.id}/disable`).set(as);
      expect(disabled.status).toBe(200);
      expect(disabled.body.status).toBe('disabled');

      // The child's admin cannot reach up to the parent's domain admin.
      expect(
        (await t.http.get(`/v1/users/${domainAdmin.id}`).set(asUser(childAdmin.id))).status,
      ).toBe(404);
      // Nor can the domain admin reach a sibling tree.
      expect((await t.http.get(`/v1/users/${memberB.id}`).set(as)).status).toBe(404);
    });
  });

  describe('list', () => {
    let tenantL: { id: string; slug: string };
    let adminL: { id: string; email: string };
    const made: string[] = [];
    let literal: { id: string };

    beforeAll(async () => {
      tenantL = await createTenant();
      touchedTenants.add(tenantL.id);
      adminL = await createUser({
        tenantId: tenantL.id,
        role: 'tenant_admin',
        email: `admin-${uniqueSlug()}@list.example`,
      });
      made.push(adminL.id);
      for (let i = 0; i < 4; i++)
        made.push(
          (await createUser({ tenantId: tenantL.id, email: `m${i}-${uniqueSlug()}@list.example` }))
            .id,
        );
      made.push(
        (
          await createUser({
            tenantId: tenantL.id,
            status: 'disabled',
            email: `off-${uniqueSlug()}@list.example`,
          })
        ).id,
      );
      literal = await createUser({
        tenantId: tenantL.id,
        email: `a%b_c-${uniqueSlug()}@list.example`,
      });
      made.push(literal.id);
      made.push(
        (await createUser({ tenantId: tenantL.id, email: `axbxc-${uniqueSlug()}@list.example` }))
          .id,
      );
    });

    it('pages with an opaque cursor, never skipping or repeating, oldest first', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await t.http
          .get('/v1/users')
          .query({ limit: 3, ...(cursor ? { cursor } : {}) })
          .set(asUser(adminL.id));
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(3);
        for (const item of res.body.items as Record<string, unknown>[]) {
          expect(Object.keys(item).sort()).toEqual(USER_DTO_KEYS);
          expect(item.tenantId).toBe(tenantL.id);
        }
        seen.push(...(res.body.items as { id: string }[]).map((u) => u.id));
        cursor = res.body.nextCursor as string | null;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toHaveLength(made.length);
      expect(new Set(seen)).toEqual(new Set(made));
      const rows = await sql<{ id: string }>(
        'select id from users where tenant_id = $1 order by created_at, id',
        [tenantL.id],
      );
      expect(seen).toEqual(rows.map((r) => r.id));
    });

    it('defaults to 50 and refuses a limit above 200 or a forged cursor', async () => {
      const res = await t.http.get('/v1/users').set(asUser(adminL.id));
      expect(res.body.items).toHaveLength(made.length);
      expect(res.body.nextCursor).toBeNull();
      expect((await t.http.get('/v1/users?limit=201').set(asUser(adminL.id))).status).toBe(400);
      expect((await t.http.get('/v1/users?limit=0').set(asUser(adminL.id))).status).toBe(400);
      const forged = await t.http.get('/v1/users?cursor=bm90LWEtY3Vyc29y').set(asUser(adminL.id));
      expect(forged.status).toBe(400);
      expect(forged.body.type).toBe(problem('invalid-cursor'));
    });

    it('filters by status, role and email prefix, with % and _ matched literally', async () => {
      const get = (q: Record<string, string>) =>
        t.http.get('/v1/users').query(q).set(asUser(adminL.id));
      const disabled = await get({ status: 'disabled' });
      expect(disabled.body.items).toHaveLength(1);
      expect(disabled.body.items[0].status).toBe('disabled');
      const admins = await get({ role: 'tenant_admin' });
      expect((admins.body.items as { id: string }[]).map((u) => u.id)).toEqual([adminL.id]);

      const pct = await get({ emailPrefix: 'A%B_' });
      expect((pct.body.items as { id: string }[]).map((u) => u.id)).toEqual([literal.id]);
      const wild = await get({ emailPrefix: '%' });
      expect(wild.body.items).toHaveLength(0);
      const m = await get({ emailPrefix: 'm', status: 'active' });
      expect(m.body.items).toHaveLength(4);
      expect((await get({ status: 'gone' })).status).toBe(400);
    });
  });

  describe('update, disable, enable, delete', () => {
    it('PATCH changes the name only; role, status, tenantId, email or unknown fields are 400 and change nothing', async () => {
      const u = await createUser({ tenantId: tenantA.id, name: 'Old Name' });
      const before = await userRow(u.id);
      for (const body of [
        { name: 'X', role: 'tenant_admin' },
        { role: 'domain_admin' },
        { status: 'active' },
        { tenantId: tenantB.id },
        { email: uniqueUserEmail() },
        { name: 'X', isAdmin: true },
      ]) {
        const res = await t.http.patch(`/v1/users/${u.id}`).set(asUser(adminA.id)).send(body);
        expect(res.status).toBe(400);
        expect(res.body.type).toBe(problem('validation-failed'));
      }
      expect(await userRow(u.id)).toEqual(before);

      const ok = await t.http
        .patch(`/v1/users/${u.id}`)
        .set(asUser(adminA.id))
        .send({ name: '  New Name  ' });
      expect(ok.status).toBe(200);
      expect(ok.body.name).toBe('New Name');
      expect(await auditRowsFor(u.id, 'user.update')).toEqual([
        expect.objectContaining({ outcome: 'success', actor_id: adminA.id }),
      ]);
    });

    it('disable: the user is refused on its next request (401); enable lets it log in again; events published', async () => {
      const password = strongPassword();
      const admin = await createUser({
        tenantId: tenantA.id,
        role: 'tenant_admin',
        password,
      });
      const me = asUser(admin.id);
      expect((await t.http.get('/v1/users').set(me)).status).toBe(200);

      const res = await t.http.post(`/v1/users/${admin.id}/disable`).set(asUser(adminA.id));
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('disabled');
      expect((await userRow(admin.id)).status).toBe('disabled');
      expect(events).toContainEqual({
        type: 'user.disabled',
        tenantId: tenantA.id,
        userId: admin.id,
      });
      expect(await auditRowsFor(admin.id, 'user.disable')).toEqual([
        expect.objectContaining({ outcome: 'success', actor_id: adminA.id }),
      ]);

      const refused = await t.http.get('/v1/users').set(me);
      expect(refused.status).toBe(401);

      const enabled = await t.http.post(`/v1/users/${admin.id}/enable`).set(asUser(adminA.id));
      expect(enabled.body.status).toBe('active');
      expect(await auditRowsFor(admin.id, 'user.enable')).toHaveLength(1);
      // Disabling ended its sessions for good: the old token stays dead, a new login works
      // (an admin's login asks for its authenticator: MFA is required for tenant_admin).
      expect((await t.http.get('/v1/users').set(me)).status).toBe(401);
      const secret = await enrolTotpDirectly(t, admin);
      const login = await loginWithTotp(t.http, admin.email, password, secret);
      const again = await t.http.get('/v1/users').set({ authorization: `Bearer ${login.access_token}` });
      expect(again.status).toBe(200);
    });

    it('delete: 204, the row is gone, user.deleted published, the audit row remembers who it was', async () => {
      const u = await createUser({ tenantId: tenantA.id });
      const res = await t.http.delete(`/v1/users/${u.id}`).set(asUser(adminA.id));
      expect(res.status).toBe(204);
      expect(await userRow(u.id)).toBeUndefined();
      expect(events).toContainEqual({ type: 'user.deleted', tenantId: tenantA.id, userId: u.id });
      const [row] = await auditRowsFor(u.id, 'user.delete');
      expect(row).toMatchObject({ outcome: 'success', tenant_id: tenantA.id });
      expect(row.params).toMatchObject({ email: u.email });
      expect((await t.http.get(`/v1/users/${u.id}`).set(asUser(adminA.id))).status).toBe(404);
    });

    it('a tenant admin cannot disable, delete or rename a user whose role is above its own (403, unchanged)', async () => {
      const boss = await createUser({
        tenantId: tenantA.id,
        role: 'domain_admin',
        name: 'Big Boss',
      });
      const before = await userRow(boss.id);
      const as = asUser(adminA.id);
      for (const r of [
        await t.http.post(`/v1/users/${boss.id}/disable`).set(as),
        await t.http.delete(`/v1/users/${boss.id}`).set(as),
        await t.http.patch(`/v1/users/${boss.id}`).set(as).send({ name: 'Demoted' }),
      ]) {
        expect(r.status).toBe(403);
        expect(r.body.type).toBe(problem('target-role-too-high'));
      }
      expect(await userRow(boss.id)).toEqual(before);
      const refusals = (await auditRowsFor(boss.id)).filter((r) => r.outcome === 'failure');
      expect(refusals.map((r) => r.action).sort()).toEqual([
        'user.delete',
        'user.disable',
        'user.update',
      ]);
      // Reading is fine.
      expect((await t.http.get(`/v1/users/${boss.id}`).set(as)).status).toBe(200);
    });

    it('nobody disables or deletes themselves (409 cannot-target-self)', async () => {
      for (const r of [
        await t.http.post(`/v1/users/${adminA.id}/disable`).set(asUser(adminA.id)),
        await t.http.delete(`/v1/users/${adminA.id}`).set(asUser(adminA.id)),
      ]) {
        expect(r.status).toBe(409);
        expect(r.body.type).toBe(problem('cannot-target-self'));
      }
      expect((await userRow(adminA.id)).status).toBe('active');
    });

    it('the last active admin of a tenant cannot be disabled or deleted (409 last-admin)', async () => {
      const parent = await createTenant();
      const child = await createTenant({ parentId: parent.id });
      touchedTenants.add(parent.id).add(child.id);
      const reseller = await createUser({ tenantId: parent.id, role: 'domain_admin' });
      const only = await createUser({ tenantId: child.id, role: 'tenant_admin' });
      const as = asUser(reseller.id);

      for (const r of [
        await t.http.post(`/v1/users/${only.id}/disable`).set(as),
        await t.http.delete(`/v1/users/${only.id}`).set(as),
      ]) {
        expect(r.status).toBe(409);
        expect(r.body.type).toBe(problem('last-admin'));
      }
      expect((await userRow(only.id)).status).toBe('active');

      // A pending or disabled admin does not count; a second active one does.
      await createUser({ tenantId: child.id, role: 'tenant_admin', status: 'disabled' });
      expect((await t.http.post(`/v1/users/${only.id}/disable`).set(as)).status).toBe(409);
      const second = await createUser({ tenantId: child.id, role: 'tenant_admin' });
      expect((await t.http.post(`/v1/users/${only.id}/disable`).set(as)).status).toBe(200);
      expect((await t.http.delete(`/v1/users/${second.id}`).set(as)).status).toBe(409);
      expect((await auditRowsFor(second.id, 'user.delete'))[0]).toMatchObject({
        outcome: 'failure',
        reason: 'last-admin',
      });
    });

    it('members cannot use the admin API (403)', async () => {
      expect((await t.http.get('/v1/users').set(asUser(memberB.id))).status).toBe(403);
      expect((await t.http.get(`/v1/users/${adminB.id}`).set(asUser(memberB.id))).status).toBe(403);
    });
  });

  describe('/v1/me', () => {
    it('PATCH /v1/me renames yourself; other fields are 400', async () => {
      const u = await createUser({ tenantId: tenantA.id, name: 'Me Myself' });
      const res = await t.http.patch('/v1/me').set(asUser(u.id)).send({ name: 'Me Renamed' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: u.id, name: 'Me Renamed', role: 'member' });
      expect(
        (await t.http.patch('/v1/me').set(asUser(u.id)).send({ name: 'X', role: 'tenant_admin' }))
          .status,
      ).toBe(400);
      expect((await userRow(u.id)).role).toBe('member');
      expect(await auditRowsFor(u.id, 'user.update')).toHaveLength(1);
    });

    it('password change: wrong current refused and audited, weak new refused, success mails, audits and rehashes', async () => {
      const current = strongPassword();
      const u = await createUser({ tenantId: tenantA.id, password: current, name: 'Pat Changer' });
      secrets.push(current);
      const before = await userRow(u.id);
      const change = (body: Record<string, string>) => {
        secrets.push(...Object.values(body));
        return t.http.post('/v1/me/password').set(asUser(u.id)).send(body);
      };

      const wrong = await change({
        currentPassword: strongPassword(),
        newPassword: strongPassword(),
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.type).toBe(problem('invalid-current-password'));
      expect((await auditRowsFor(u.id, 'user.password_change')).at(-1)).toMatchObject({
        outcome: 'failure',
        reason: 'invalid-current-password',
      });

      const weak = await change({ currentPassword: current, newPassword: 'patchanger123' });
      expect(weak.status).toBe(400);
      expect(weak.body.type).toBe(problem('weak-password'));
      expect((await userRow(u.id)).password_hash).toBe(before.password_hash);

      const next = strongPassword();
      const ok = await change({ currentPassword: current, newPassword: next });
      expect(ok.status).toBe(204);
      const after = await userRow(u.id);
      expect(after.password_hash).not.toBe(before.password_hash);
      expect(after.password_hash).toMatch(/^\$argon2id\$/);
      expect(after.password_changed_at).not.toBeNull();
      const hasher = t.app.get(PasswordHasher);
      expect((await hasher.verify(after.password_hash!, next)).ok).toBe(true);
      expect((await hasher.verify(after.password_hash!, current)).ok).toBe(false);
      const mails = await mailsTo(t, sink, u.email);
      expect(mails.map((m) => m.subject)).toEqual(['Your Tessera password was changed']);
      expect(events).toContainEqual({
        type: 'user.password_changed',
        tenantId: tenantA.id,
        userId: u.id,
        reason: 'change',
      });
      expect((await auditRowsFor(u.id, 'user.password_change')).map((r) => r.outcome)).toEqual([
        'failure',
        'failure',
        'success',
      ]);
    });

    it('limits password-change attempts per user (429 after 5 in 15 minutes)', async () => {
      const current = strongPassword();
      const u = await createUser({ tenantId: tenantA.id, password: current });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const body = { currentPassword: strongPassword(), newPassword: strongPassword() };
        secrets.push(...Object.values(body));
        const r = await t.http.post('/v1/me/password').set(asUser(u.id)).send(body);
        statuses.push(r.status);
        if (r.status === 429) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
      // Even the right password is refused until the window ends.
      const right = await t.http
        .post('/v1/me/password')
        .set(asUser(u.id))
        .send({ currentPassword: current, newPassword: strongPassword() });
      expect(right.status).toBe(429);
    });

    it('requires a credential', async () => {
      expect((await t.http.patch('/v1/me').send({ name: 'Anon' })).status).toBe(401);
      expect(
        (await t.http.post('/v1/me/password').send({ currentPassword: 'a', newPassword: 'b' }))
          .status,
      ).toBe(401);
    });
  });

  it('no token or password ever appears in an audit row', async () => {
    const rows = await sql<Record<string, unknown>>(
      `select * from audit_events where tenant_id = any($1::uuid[]) or tenant_id is null or tenant_id = $2`,
      [[...touchedTenants], PLATFORM_TENANT_ID],
    );
    expect(rows.length).toBeGreaterThan(20);
    const text = JSON.stringify(rows);
    const leaked = [...new Set(secrets)].filter((s) => s.length >= 8 && text.includes(s));
    expect(leaked).toEqual([]);
  });
});
