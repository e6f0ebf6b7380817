import {
  ALL_PERMISSIONS,
  BUILTIN_TASK_ROLES,
  GENERAL_ROLE_PERMISSIONS,
  PERMISSIONS,
} from '@tessera/auth';
import { sql, startApp, TestApp } from './support/app';
import { createKey } from './support/machine-helpers';
import {
  asUser,
  createTenant,
  createUser,
  PLATFORM_TENANT_ID,
  signIn,
  TestAuthModule,
} from './support/test-auth';

const problem = (code: string) => `urn:tessera:problem:${code}`;

/**
 * Authorization end to end: the permission registry, general roles and their hierarchy,
 * built-in and custom task roles, role assignment and its no-escalation rules, changes that
 * apply on the next request with the same access token, domain-admin reach, and step-up.
 */
describe('RBAC (e2e)', () => {
  let t: TestApp;
  let tenantA: { id: string; slug: string };
  let adminA: { id: string };
  let memberA: { id: string; email: string };

  const roleRow = (id: string) =>
    sql<{ name: string; permissions: string[] }>(
      'select name, permissions from roles where id = $1',
      [id],
    ).then((r) => r[0]);
  const rolesOf = (tenantId: string) =>
    sql<{ name: string }>('select name from roles where tenant_id = $1 order by name', [tenantId]);
  const userRoles = (userId: string) =>
    sql<{ role: string; task: string[] }>(
      `select u.role, coalesce(array(select coalesce(ur.builtin, r.name) from user_roles ur left join roles r on r.id = ur.role_id where ur.user_id = u.id order by 1), '{}') as task
         from users u where u.id = $1`,
      [userId],
    ).then((r) => r[0]);

  beforeAll(async () => {
    t = await startApp(
      { RATE_LIMIT_DEFAULT_PER_MINUTE: '100000', RATE_LIMIT_AUTH_PER_MINUTE: '10000' },
      { extraModules: [TestAuthModule] },
    );
    tenantA = await createTenant();
    adminA = await createUser({ tenantId: tenantA.id, role: 'tenant_admin' });
    // A second admin, so last-admin rules never trip over tenant A.
    await createUser({ tenantId: tenantA.id, role: 'tenant_admin' });
    memberA = await createUser({ tenantId: tenantA.id });
  });
  afterAll(() => t.close());

  describe('the registry and the built-in roles', () => {
    it('GET /v1/permissions lists every permission with its tier and description', async () => {
      const r = await t.http.get('/v1/permissions').set(asUser(adminA.id));
      expect(r.status).toBe(200);
      expect(r.body).toHaveLength(ALL_PERMISSIONS.length);
      expect(r.body).toContainEqual({
        name: 'tenants:delete',
        tier: 4,
        description: PERMISSIONS['tenants:delete'].description,
      });
      for (const p of r.body as { name: string; tier: number }[])
        expect(p.name).toMatch(/^[a-z_0-9]+:[a-z_0-9]+$/);
    });

    it('each general role includes every permission of the roles below it; tier 4 only for system_admin', () => {
      const [m, ta, da, sa] = (
        ['member', 'tenant_admin', 'domain_admin', 'system_admin'] as const
      ).map((r) => new Set(GENERAL_ROLE_PERMISSIONS[r]));
      for (const [lower, upper] of [
        [m, ta],
        [ta, da],
        [da, sa],
      ] as const) {
        for (const p of lower) expect(upper.has(p)).toBe(true);
        expect(upper.size).toBeGreaterThan(lower.size);
      }
      expect(sa.size).toBe(ALL_PERMISSIONS.length);
      for (const p of ALL_PERMISSIONS.filter((x) => PERMISSIONS[x].tier === 4))
        expect(da.has(p)).toBe(false);
      for (const r of Object.values(BUILTIN_TASK_ROLES))
        for (const p of r.permissions) expect(PERMISSIONS[p].tier).toBeLessThan(4);
    });

    it('GET /v1/roles lists the general and task roles, read-only, with their permissions', async () => {
      const r = await t.http.get('/v1/roles').set(asUser(adminA.id));
      expect(r.status).toBe(200);
      const names = (r.body.items as { name: string; kind: string }[]).map(
        (x) => `${x.kind}:${x.name}`,
      );
      expect(names).toEqual(
        expect.arrayContaining([
          'general:member',
          'general:tenant_admin',
          'general:domain_admin',
          'general:system_admin',
          'task:credential_manager',
          'task:user_manager',
          'task:template_editor',
          'task:auditor',
          'task:sso_admin',
        ]),
      );
      const auditor = await t.http.get('/v1/roles/auditor').set(asUser(adminA.id));
      expect(auditor.body).toMatchObject({
        kind: 'task',
        permissions: ['audit:export', 'audit:read', 'roles:read', 'users:read'],
      });
    });

    it('a member holds only the self-service permissions: admin routes are 403 and audited with the missing permission', async () => {
      for (const path of ['/v1/users', '/v1/roles', '/v1/permissions', '/v1/audit-events']) {
        const r = await t.http.get(path).set(asUser(memberA.id));
        expect(r.status).toBe(403);
        expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      }
      const denied = await sql<{ reason: string; risk_tier: number | null }>(
        `select reason, risk_tier from audit_events where action = 'access.denied' and actor_id = $1 order by occurred_at`,
        [memberA.id],
      );
      expect(denied.map((d) => d.reason)).toEqual([
        'missing permission users:read',
        'missing permission roles:read',
        'missing permission roles:read',
        'missing permission audit:read',
      ]);
      expect(denied.every((d) => d.risk_tier === 1)).toBe(true);
      expect((await t.http.get('/v1/me').set(asUser(memberA.id))).status).toBe(200);
    });

    it('a tenant admin cannot create tenants (domain_admin and above can)', async () => {
      const r = await t.http.post('/v1/tenants').set(asUser(adminA.id)).send({ name: 'Nope' });
      expect(r.status).toBe(403);
      const domain = await createTenant();
      const da = await createUser({ tenantId: domain.id, role: 'domain_admin' });
      const ok = await t.http
        .post('/v1/tenants')
        .set(asUser(da.id))
        .send({ name: 'Child of domain' });
      expect(ok.status).toBe(201);
    });

    it('tier-4 routes are for system admins only (rotating platform signing keys)', async () => {
      const domain = await createTenant();
      const da = await createUser({ tenantId: domain.id, role: 'domain_admin' });
      expect(
        (await t.http.post('/v1/signing-keys/rotate').set(asUser(da.id)).send({})).status,
      ).toBe(403);
      expect((await t.http.get('/v1/signing-keys').set(asUser(da.id))).status).toBe(403);
      const sa = await createUser({ tenantId: PLATFORM_TENANT_ID, role: 'system_admin' });
      // The system admin passes the guard (its body is then validated: 400). A real rotation
      // is not run here: signing_keys is platform-wide and other files sign with it
      // (test/signing-keys.e2e-spec.ts rotates over the CLI and checks the audit rows).
      const r = await t.http.post('/v1/signing-keys/rotate').set(asUser(sa.id)).send({ immediate: 'yes' });
      expect(r.status).toBe(400);
      expect(r.body.type).toBe(problem('validation-failed'));
      const list = await t.http.get('/v1/signing-keys').set(asUser(sa.id));
      expect(list.status).toBe(200);
      expect(list.body.some((k: { status: string }) => k.status === 'active')).toBe(true);
      const denied = await sql<{ reason: string; risk_tier: number }>(
        `select reason, risk_tier from audit_events where action = 'access.denied' and actor_id = $1 order by occurred_at`,
        [da.id],
      );
      expect(denied).toEqual([
        { reason: 'missing permission signing_keys:rotate', risk_tier: 4 },
        { reason: 'missing permission signing_keys:read', risk_tier: 1 },
      ]);
    });
  });

  describe('built-in task roles', () => {
    it('the auditor task role reads and exports the audit trail without being an admin', async () => {
      const auditor = await createUser({ tenantId: tenantA.id, taskRoles: ['auditor'] });
      expect((await t.http.get('/v1/audit-events').set(asUser(auditor.id))).status).toBe(200);
      const exp = await t.http.get('/v1/audit-events/export?format=csv').set(asUser(auditor.id));
      expect(exp.status).toBe(200);
      expect((await t.http.get(`/v1/users/${memberA.id}`).set(asUser(auditor.id))).status).toBe(
        200,
      );
      // ...but changes nothing.
      expect(
        (
          await t.http
            .patch(`/v1/users/${memberA.id}`)
            .set(asUser(auditor.id))
            .send({ name: 'Changed' })
        ).status,
      ).toBe(403);
      expect((await t.http.get('/v1/me').set(asUser(auditor.id))).body.roles).toEqual({
        general: 'member',
        task: ['auditor'],
      });
    });

    it('a user_manager invites members but cannot hand out roles (that needs roles:assign)', async () => {
      const um = await createUser({ tenantId: tenantA.id, taskRoles: ['user_manager'] });
      const ok = await t.http
        .post('/v1/users/invitations')
        .set(asUser(um.id))
        .send({ email: `um-${Date.now()}@example.test`, name: 'Invited' });
      expect(ok.status).toBe(201);
      const email = `um-admin-${Date.now()}@example.test`;
      const r = await t.http
        .post('/v1/users/invitations')
        .set(asUser(um.id))
        .send({ email, name: 'Would be admin', role: 'tenant_admin' });
      expect(r.status).toBe(403);
      expect(r.body.type).toBe(problem('role-not-allowed'));
      expect(await sql('select 1 from users where email = $1', [email])).toHaveLength(0);
      expect(
        (
          await t.http
            .put(`/v1/users/${memberA.id}/roles`)
            .set(asUser(um.id))
            .send({ role: 'member', taskRoles: [] })
        ).status,
      ).toBe(403);
    });
  });

  describe('custom task roles (CRUD at /v1/roles)', () => {
    it('creates a role from held permissions, gives it to a user, and the holder can use it', async () => {
      const created = await t.http
        .post('/v1/roles')
        .set(asUser(adminA.id))
        .send({
          name: 'support-desk',
          description: 'Front-line support',
          permissions: ['users:read', 'sessions:read', 'sessions:revoke'],
        });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'support-desk',
        kind: 'custom',
        tenantId: tenantA.id,
        holders: 0,
        permissions: ['sessions:read', 'sessions:revoke', 'users:read'],
      });
      const [audit] = await sql<{ action: string; params: unknown }>(
        `select action, params from audit_events where action = 'role.create' and target_id = $1`,
        [created.body.id],
      );
      expect(audit).toMatchObject({ params: { name: 'support-desk' } });

      const holder = await createUser({ tenantId: tenantA.id, taskRoles: [created.body.id] });
      expect(
        (await t.http.get(`/v1/users/${memberA.id}/sessions`).set(asUser(holder.id))).status,
      ).toBe(200);
      expect((await t.http.get('/v1/users').set(asUser(holder.id))).status).toBe(200);
      expect(
        (await t.http.post(`/v1/users/${memberA.id}/disable`).set(asUser(holder.id))).status,
      ).toBe(403);
      const me = await t.http.get('/v1/me').set(asUser(holder.id));
      expect(me.body.roles.task).toEqual(['support-desk']);
      expect(me.body.permissions).toEqual(
        expect.arrayContaining(['users:read', 'sessions:revoke']),
      );

      // Changing the role's permissions applies on the holder's next request, same token.
      const upd = await t.http
        .patch(`/v1/roles/${created.body.id}`)
        .set(asUser(adminA.id))
        .send({ permissions: ['sessions:read'] });
      expect(upd.status).toBe(200);
      expect(upd.body.holders).toBe(1);
      expect((await t.http.get('/v1/users').set(asUser(holder.id))).status).toBe(403);
      expect(
        (await t.http.get(`/v1/users/${memberA.id}/sessions`).set(asUser(holder.id))).status,
      ).toBe(200);

      // Deleting it takes it away at once too.
      expect(
        (await t.http.delete(`/v1/roles/${created.body.id}`).set(asUser(adminA.id))).status,
      ).toBe(204);
      expect(
        (await t.http.get(`/v1/users/${memberA.id}/sessions`).set(asUser(holder.id))).status,
      ).toBe(403);
      expect(await roleRow(created.body.id)).toBeUndefined();
      expect((await userRoles(holder.id)).task).toEqual([]);
      expect(
        await sql(`select 1 from audit_events where action = 'role.delete' and target_id = $1`, [
          created.body.id,
        ]),
      ).toHaveLength(1);
    });

    it('refuses unknown permissions, tier 4, reserved and duplicate names — nothing persisted', async () => {
      const before = await rolesOf(tenantA.id);
      const cases: [Record<string, unknown>, number, string][] = [
        [{ name: 'weird', permissions: ['users:read', 'users:fly'] }, 400, 'unknown-permission'],
        [{ name: 'too-strong', permissions: ['tenants:delete'] }, 400, 'tier4-not-allowed'],
        [{ name: 'auditor', permissions: ['users:read'] }, 400, 'role-name-reserved'],
        [{ name: 'tenant_admin', permissions: ['users:read'] }, 400, 'role-name-reserved'],
        [{ name: 'Bad Name', permissions: ['users:read'] }, 400, 'validation-failed'],
        [{ name: 'empty', permissions: [] }, 400, 'validation-failed'],
        [
          { name: 'extra', permissions: ['users:read'], tenantId: PLATFORM_TENANT_ID },
          400,
          'validation-failed',
        ],
      ];
      for (const [body, status, code] of cases) {
        const r = await t.http.post('/v1/roles').set(asUser(adminA.id)).send(body);
        expect({ body, status: r.status, type: r.body.type }).toEqual({
          body,
          status,
          type: problem(code),
        });
      }
      expect(await rolesOf(tenantA.id)).toEqual(before);
      const dup1 = await t.http
        .post('/v1/roles')
        .set(asUser(adminA.id))
        .send({ name: 'dup-role', permissions: ['users:read'] });
      expect(dup1.status).toBe(201);
      const dup2 = await t.http
        .post('/v1/roles')
        .set(asUser(adminA.id))
        .send({ name: 'dup-role', permissions: ['audit:read'] });
      expect(dup2.status).toBe(409);
      expect(dup2.body.type).toBe(problem('role-name-taken'));
      expect((await roleRow(dup1.body.id))!.permissions).toEqual(['users:read']);
    });

    it('nobody puts a permission they do not hold into a role (a tenant admin cannot mint tenants:create)', async () => {
      const r = await t.http
        .post('/v1/roles')
        .set(asUser(adminA.id))
        .send({ name: 'sneaky', permissions: ['users:read', 'tenants:create'] });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({
        type: problem('permission-not-held'),
        permissions: ['tenants:create'],
      });
      expect(await sql(`select 1 from roles where name = 'sneaky'`)).toHaveLength(0);
      const [row] = await sql<{ outcome: string; decision: string; reason: string }>(
        `select outcome, decision, reason from audit_events where action = 'role.create' and actor_id = $1 and outcome = 'failure' order by occurred_at desc limit 1`,
        [adminA.id],
      );
      expect(row).toEqual({ outcome: 'failure', decision: 'deny', reason: 'permission-not-held' });
    });

    it('PATCH refuses tenantId, id and unknown fields (mass assignment) and changes nothing', async () => {
      const created = await t.http
        .post('/v1/roles')
        .set(asUser(adminA.id))
        .send({ name: 'patch-target', permissions: ['users:read'] });
      for (const body of [
        { tenantId: PLATFORM_TENANT_ID },
        { id: '00000000-0000-0000-0000-000000000000' },
        { permissions: ['users:read'], role: 'x' },
        { foo: 1 },
      ]) {
        const r = await t.http
          .patch(`/v1/roles/${created.body.id}`)
          .set(asUser(adminA.id))
          .send(body);
        expect(r.status).toBe(400);
        expect(r.body.type).toBe(problem('validation-failed'));
      }
      expect(
        await sql('select tenant_id, name, permissions from roles where id = $1', [
          created.body.id,
        ]),
      ).toEqual([{ tenant_id: tenantA.id, name: 'patch-target', permissions: ['users:read'] }]);
    });
  });

  describe('role assignment (PUT /v1/users/:id/roles)', () => {
    it('promotes a member to tenant_admin (its sessions end), demotes it back (the same token loses access at once), audited', async () => {
      const u = await createUser({ tenantId: tenantA.id });
      expect((await t.http.get('/v1/users').set(asUser(u.id))).status).toBe(403);
      const r = await t.http
        .put(`/v1/users/${u.id}/roles`)
        .set(asUser(adminA.id))
        .send({ role: 'tenant_admin', taskRoles: ['auditor'] });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        userId: u.id,
        tenantId: tenantA.id,
        role: 'tenant_admin',
        taskRoles: [{ name: 'auditor', id: null, builtin: true }],
      });
      expect(await userRoles(u.id)).toEqual({ role: 'tenant_admin', task: ['auditor'] });
      // Newly privileged: the password-only session ends (its next login meets the MFA rules).
      expect((await t.http.get('/v1/users').set(asUser(u.id))).status).toBe(401);
      const [revoked] = await sql<{ revoked_reason: string }>('select revoked_reason from sessions where user_id = $1', [u.id]);
      expect(revoked!.revoked_reason).toBe('user_elevated');
      await signIn(u);
      expect((await t.http.get('/v1/users').set(asUser(u.id))).status).toBe(200);
      const [row] = await sql<{ params: unknown; risk_tier: number; actor_id: string }>(
        `select params, risk_tier, actor_id from audit_events where action = 'user.roles_change' and target_id = $1`,
        [u.id],
      );
      expect(row).toEqual({
        params: { role: { from: 'member', to: 'tenant_admin' }, added: ['auditor'] },
        risk_tier: 3,
        actor_id: adminA.id,
      });

      // And back: demoted, the same token loses admin access at once.
      const back = await t.http
        .put(`/v1/users/${u.id}/roles`)
        .set(asUser(adminA.id))
        .send({ role: 'member', taskRoles: [] });
      expect(back.status).toBe(200);
      expect((await t.http.get('/v1/users').set(asUser(u.id))).status).toBe(403);
      expect((await t.http.get('/v1/audit-events').set(asUser(u.id))).status).toBe(403);
    });

    it('GET shows roles and effective permissions', async () => {
      const r = await t.http.get(`/v1/users/${memberA.id}/roles`).set(asUser(adminA.id));
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        userId: memberA.id,
        tenantId: tenantA.id,
        role: 'member',
        taskRoles: [],
        permissions: [...GENERAL_ROLE_PERMISSIONS.member].sort(),
      });
    });

    it('no escalation: a tenant admin cannot create a domain or system admin', async () => {
      const u = await createUser({ tenantId: tenantA.id });
      for (const role of ['domain_admin', 'system_admin']) {
        const r = await t.http
          .put(`/v1/users/${u.id}/roles`)
          .set(asUser(adminA.id))
          .send({ role, taskRoles: [] });
        expect(r.status).toBe(403);
        expect(r.body.type).toBe(problem('role-not-allowed'));
      }
      expect(await userRoles(u.id)).toEqual({ role: 'member', task: [] });
      const rows = await sql<{ outcome: string; reason: string }>(
        `select outcome, reason from audit_events where action = 'user.roles_change' and target_id = $1`,
        [u.id],
      );
      expect(rows).toEqual([
        { outcome: 'failure', reason: 'role-not-allowed' },
        { outcome: 'failure', reason: 'role-not-allowed' },
      ]);
    });

    it('system_admin is granted only by a system admin, and only in the platform tenant', async () => {
      const domain = await createTenant();
      const da = await createUser({ tenantId: domain.id, role: 'domain_admin' });
      const target = await createUser({ tenantId: domain.id });
      expect(
        (
          await t.http
            .put(`/v1/users/${target.id}/roles`)
            .set(asUser(da.id))
            .send({ role: 'system_admin', taskRoles: [] })
        ).status,
      ).toBe(403);
      expect(
        (
          await t.http
            .put(`/v1/users/${target.id}/roles`)
            .set(asUser(da.id))
            .send({ role: 'domain_admin', taskRoles: [] })
        ).status,
      ).toBe(200);
      const sa = await createUser({ tenantId: PLATFORM_TENANT_ID, role: 'system_admin' });
      const outside = await t.http
        .put(`/v1/users/${target.id}/roles`)
        .set(asUser(sa.id))
        .send({ role: 'system_admin', taskRoles: [] });
      expect(outside.status).toBe(403);
      expect(outside.body.detail).toMatch(/platform tenant/);
      const platformUser = await createUser({ tenantId: PLATFORM_TENANT_ID });
      expect(
        (
          await t.http
            .put(`/v1/users/${platformUser.id}/roles`)
            .set(asUser(sa.id))
            .send({ role: 'system_admin', taskRoles: [] })
        ).status,
      ).toBe(200);
      expect((await userRoles(platformUser.id)).role).toBe('system_admin');
    });

    it('nobody manages a user above their own role, nor their own roles', async () => {
      const domain = await createTenant();
      const ta = await createUser({ tenantId: domain.id, role: 'tenant_admin' });
      const da = await createUser({ tenantId: domain.id, role: 'domain_admin' });
      const r = await t.http
        .put(`/v1/users/${da.id}/roles`)
        .set(asUser(ta.id))
        .send({ role: 'member', taskRoles: [] });
      expect(r.status).toBe(403);
      expect(r.body.type).toBe(problem('target-role-too-high'));
      const self = await t.http
        .put(`/v1/users/${ta.id}/roles`)
        .set(asUser(ta.id))
        .send({ role: 'tenant_admin', taskRoles: ['auditor'] });
      expect(self.status).toBe(409);
      expect(self.body.type).toBe(problem('cannot-target-self'));
      expect(await userRoles(da.id)).toEqual({ role: 'domain_admin', task: [] });
      expect(await userRoles(ta.id)).toEqual({ role: 'tenant_admin', task: [] });
    });

    it('the last active tenant admin cannot be demoted (nor disabled)', async () => {
      const solo = await createTenant();
      const only = await createUser({ tenantId: solo.id, role: 'tenant_admin' });
      const da = await createUser({ tenantId: PLATFORM_TENANT_ID, role: 'system_admin' });
      const r = await t.http
        .put(`/v1/users/${only.id}/roles`)
        .set(asUser(da.id))
        .send({ role: 'member', taskRoles: [] });
      expect(r.status).toBe(409);
      expect(r.body.type).toBe(problem('last-admin'));
      expect((await t.http.post(`/v1/users/${only.id}/disable`).set(asUser(da.id))).status).toBe(
        409,
      );
      expect(await userRoles(only.id)).toEqual({ role: 'tenant_admin', task: [] });
      // With a second admin, the demotion goes through.
      await createUser({ tenantId: solo.id, role: 'tenant_admin' });
      expect(
        (
          await t.http
            .put(`/v1/users/${only.id}/roles`)
            .set(asUser(da.id))
            .send({ role: 'member', taskRoles: [] })
        ).status,
      ).toBe(200);
    });

    it('task roles: unknown names are 400; a role whose permissions the caller lacks is 403', async () => {
      const u = await createUser({ tenantId: tenantA.id });
      const unknown = await t.http
        .put(`/v1/users/${u.id}/roles`)
        .set(asUser(adminA.id))
        .send({ role: 'member', taskRoles: ['auditor', 'ghost'] });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ type: problem('unknown-role'), roles: ['ghost'] });
      expect(await userRoles(u.id)).toEqual({ role: 'member', task: [] });

      // A domain admin above tenant A defines a role with a domain permission in A...
      const parent = await createTenant();
      const child = await createTenant({ parentId: parent.id });
      const da = await createUser({ tenantId: parent.id, role: 'domain_admin' });
      const childAdmin = await createUser({ tenantId: child.id, role: 'tenant_admin' });
      const childMember = await createUser({ tenantId: child.id });
      const role = await t.http
        .post(`/v1/roles?tenantId=${child.id}`)
        .set(asUser(da.id))
        .send({ name: 'sub-tenants', permissions: ['tenants:read', 'tenants:create'] });
      expect(role.status).toBe(201);
      expect(role.body.tenantId).toBe(child.id);
      // ...which the child's tenant admin can neither give nor edit.
      const give = await t.http
        .put(`/v1/users/${childMember.id}/roles`)
        .set(asUser(childAdmin.id))
        .send({ role: 'member', taskRoles: ['sub-tenants'] });
      expect(give.status).toBe(403);
      expect(give.body).toMatchObject({
        type: problem('permission-not-held'),
        permissions: ['tenants:create'],
      });
      expect(
        (
          await t.http
            .patch(`/v1/roles/${role.body.id}`)
            .set(asUser(childAdmin.id))
            .send({ description: 'mine now' })
        ).status,
      ).toBe(403);
      // The domain admin can.
      expect(
        (
          await t.http
            .put(`/v1/users/${childMember.id}/roles`)
            .set(asUser(da.id))
            .send({ role: 'member', taskRoles: ['sub-tenants'] })
        ).status,
      ).toBe(200);
      expect((await userRoles(childMember.id)).task).toEqual(['sub-tenants']);
    });

    it('PUT validates its body: unknown fields and bad roles are 400 and change nothing', async () => {
      const u = await createUser({ tenantId: tenantA.id });
      for (const body of [
        { role: 'owner', taskRoles: [] },
        { role: 'member' },
        { role: 'member', taskRoles: [], tenantId: PLATFORM_TENANT_ID },
        { role: 'member', taskRoles: [], status: 'active' },
      ]) {
        const r = await t.http.put(`/v1/users/${u.id}/roles`).set(asUser(adminA.id)).send(body);
        expect(r.status).toBe(400);
      }
      expect(await userRoles(u.id)).toEqual({ role: 'member', task: [] });
    });
  });

  describe('tenant reach: a domain admin acts in its subtree, chosen explicitly per request', () => {
    let parent: { id: string };
    let child: { id: string };
    let sibling: { id: string };
    let da: { id: string };
    beforeAll(async () => {
      parent = await createTenant();
      child = await createTenant({ parentId: parent.id });
      sibling = await createTenant();
      da = await createUser({ tenantId: parent.id, role: 'domain_admin' });
      await createUser({ tenantId: child.id, name: 'Child Member' });
    });

    it('lists a descendant tenant’s users and roles with ?tenantId=', async () => {
      const users = await t.http.get(`/v1/users?tenantId=${child.id}`).set(asUser(da.id));
      expect(users.status).toBe(200);
      expect(users.body.items.map((u: { name: string }) => u.name)).toEqual(['Child Member']);
      expect((await t.http.get(`/v1/roles?tenantId=${child.id}`).set(asUser(da.id))).status).toBe(
        200,
      );
    });

    it('a tenant outside the subtree is 403, audited in the caller’s tenant', async () => {
      for (const target of [sibling.id, PLATFORM_TENANT_ID]) {
        const r = await t.http.get(`/v1/users?tenantId=${target}`).set(asUser(da.id));
        expect(r.status).toBe(403);
      }
      const rows = await sql<{ tenant_id: string; target_id: string; reason: string }>(
        `select tenant_id, target_id, reason from audit_events where action = 'access.denied' and actor_id = $1 order by occurred_at`,
        [da.id],
      );
      expect(rows).toEqual([
        { tenant_id: parent.id, target_id: sibling.id, reason: 'tenant outside the caller reach' },
        {
          tenant_id: parent.id,
          target_id: PLATFORM_TENANT_ID,
          reason: 'tenant outside the caller reach',
        },
      ]);
    });

    it('a tenant admin cannot act in its own children (only domain admins reach descendants)', async () => {
      const ta = await createUser({ tenantId: parent.id, role: 'tenant_admin' });
      expect((await t.http.get(`/v1/users?tenantId=${child.id}`).set(asUser(ta.id))).status).toBe(
        403,
      );
      expect(
        (
          await t.http
            .post(`/v1/roles?tenantId=${child.id}`)
            .set(asUser(ta.id))
            .send({ name: 'x-role', permissions: ['users:read'] })
        ).status,
      ).toBe(403);
      expect(await rolesOf(child.id)).toEqual([]);
    });

    it('a malformed tenantId is 400; a tenant header is ignored', async () => {
      const bad = await t.http.get('/v1/users?tenantId=not-a-uuid').set(asUser(da.id));
      expect(bad.status).toBe(400);
      const hdr = await t.http
        .get('/v1/users')
        .set(asUser(da.id))
        .set('X-Tenant-Id', child.id)
        .set('Tenant-Id', child.id);
      expect(hdr.status).toBe(200);
      expect(hdr.body.items.every((u: { tenantId: string }) => u.tenantId === parent.id)).toBe(
        true,
      );
    });
  });

  describe('step-up (STEP_UP_TIER3, on by default)', () => {
    let s: TestApp;
    beforeAll(async () => {
      s = await startApp(
        {
          STEP_UP_TIER3: 'true',
          STEP_UP_MAX_AGE_SECONDS: '600',
          RATE_LIMIT_DEFAULT_PER_MINUTE: '100000',
        },
        { extraModules: [TestAuthModule] },
      );
    });
    afterAll(() => s.close());

    it('a tier-3 operation after a password-only login is 401 insufficient_user_authentication (RFC 9470); tier 1 and 2 pass', async () => {
      const tenant = await createTenant();
      const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
      await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
      const target = await createUser({ tenantId: tenant.id });
      await signIn(admin, { passwordOnly: true });
      expect((await s.http.get('/v1/users').set(asUser(admin.id))).status).toBe(200);
      expect(
        (
          await s.http
            .patch(`/v1/users/${target.id}`)
            .set(asUser(admin.id))
            .send({ name: 'Renamed' })
        ).status,
      ).toBe(200);
      const r = await s.http.post(`/v1/users/${target.id}/disable`).set(asUser(admin.id));
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/error="insufficient_user_authentication"/);
      expect(r.headers['www-authenticate']).toMatch(
        /acr_values="urn:tessera:acr:mfa urn:tessera:acr:eid-high"/,
      );
      expect(r.headers['www-authenticate']).toMatch(/max_age=600/);
      expect(r.body).toMatchObject({ type: problem('step-up-required'), max_age: 600 });
      expect(
        (await sql<{ status: string }>('select status from users where id = $1', [target.id]))[0]!
          .status,
      ).toBe('active');
      const [row] = await sql<{ reason: string; risk_tier: number }>(
        `select reason, risk_tier from audit_events where action = 'access.denied' and actor_id = $1 order by occurred_at desc limit 1`,
        [admin.id],
      );
      expect(row).toEqual({ reason: 'step-up required (no strong factor)', risk_tier: 3 });
    });

    it('changing a tenant\'s security settings is tier 3 (tenants:security, step-up) even through PATCH', async () => {
      const tenant = await createTenant({ settings: { mfa: { requiredForAll: true } } });
      const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
      await signIn(admin, { passwordOnly: true });
      const weaken = await s.http.patch(`/v1/tenants/${tenant.id}`).set(asUser(admin.id)).send({ settings: { mfa: { requiredForAll: false } } });
      expect(weaken.status).toBe(401);
      expect(weaken.body.type).toBe(problem('step-up-required'));
      expect((await sql<{ settings: unknown }>('select settings from tenants where id = $1', [tenant.id]))[0]!.settings).toEqual({ mfa: { requiredForAll: true } });
      // A rename stays tier 2.
      expect((await s.http.patch(`/v1/tenants/${tenant.id}`).set(asUser(admin.id)).send({ name: 'Renamed Tenant' })).status).toBe(200);
      // After a second factor, the same change goes through.
      await signIn(admin);
      const ok = await s.http.patch(`/v1/tenants/${tenant.id}`).set(asUser(admin.id)).send({ settings: { mfa: { requiredForAll: false } } });
      expect(ok.status).toBe(200);
      // An API key without the execute scope cannot (tier 3 needs it), whatever its owner holds.
      const key = await createKey(s, admin.id, { scopes: ['write'] });
      const viaKey = await s.http.patch(`/v1/tenants/${tenant.id}`).set('authorization', `Bearer ${key.key}`).send({ settings: { mfa: { requiredForAll: true } } });
      expect(viaKey.status).toBe(403);
      expect((await sql<{ settings: unknown }>('select settings from tenants where id = $1', [tenant.id]))[0]!.settings).toEqual({ mfa: { requiredForAll: false } });
    });
  });
});
