import { listRoutes } from '@tessera/auth';
import { sql, startApp, TestApp } from './support/app';
import { asUser, createTenant, createUser, TestAuthModule } from './support/test-auth';
import { ISOLATED_RESOURCES, IsolationWorld } from './isolation/resources';

/**
 * Tenant isolation on every resource type (test/isolation/resources.ts): each is created in
 * tenant A, and tenant B's domain admin — the strongest role tenant B has — tries every verb
 * on it. Every attempt is refused (403 for acting in A, 404 for an id of A), nothing of A
 * changes, and every refusal leaves an audit row in B's own chain.
 */
describe('cross-tenant isolation (every resource, every verb)', () => {
  let t: TestApp;
  const world = {} as IsolationWorld;

  const refusalsOf = async (actorId: string) =>
    (
      await sql<{ n: number }>(
        `select count(*)::int as n from audit_events where actor_id = $1 and tenant_id = $2 and (decision = 'deny' or outcome = 'failure')`,
        [actorId, world.tenantB.id],
      )
    )[0]!.n;

  beforeAll(async () => {
    t = await startApp(
      { RATE_LIMIT_DEFAULT_PER_MINUTE: '100000' },
      { extraModules: [TestAuthModule] },
    );
    world.tenantA = await createTenant({ name: 'Tenant A' });
    world.tenantB = await createTenant({ name: 'Tenant B' });
    world.adminA = await createUser({ tenantId: world.tenantA.id, role: 'tenant_admin' });
    await createUser({ tenantId: world.tenantA.id, role: 'tenant_admin' });
    world.adminB = await createUser({ tenantId: world.tenantB.id, role: 'domain_admin' });
    world.app = t;
  });
  afterAll(() => t.close());

  describe.each(ISOLATED_RESOURCES.map((r) => [r.name, r] as const))('%s', (_name, resource) => {
    it("tenant B's admin is refused every verb on tenant A's resource; nothing changes; each refusal is audited", async () => {
      const ref = await resource.setup(world);
      const before = await resource.snapshot(ref, world);
      for (const a of resource.attempts(ref, world)) {
        const audited = await refusalsOf(world.adminB.id);
        const req = t.http[a.method](a.path).set(asUser(world.adminB.id));
        const r = a.body ? await req.send(a.body) : await req;
        const attempt = `${a.method.toUpperCase()} ${a.path}`;
        const outcome = {
          attempt,
          refused: r.status === 403 || r.status === 404 ? 'refused' : r.status,
          problem: /application\/problem\+json/.test(String(r.headers['content-type'])),
          audited: (await refusalsOf(world.adminB.id)) > audited,
        };
        expect(outcome).toEqual({ attempt, refused: 'refused', problem: true, audited: true });
      }
      expect(await resource.snapshot(ref, world)).toEqual(before);
      // Tenant A's own admin still reaches it: the refusals were about B, not a broken resource.
      const [first] = resource.attempts(ref, world);
      if (first!.method === 'get')
        expect(
          (
            await t.http
              .get(first!.path.replace(/[?&]subtree=true/, ''))
              .set(asUser(world.adminA.id))
          ).status,
        ).toBe(200);
    });
  });

  describe('mass assignment: every PATCH route refuses tenantId, role, status and unknown fields', () => {
    const FORBIDDEN_FIELDS = [
      { tenantId: '00000000-0000-0000-0000-000000000001' },
      { role: 'system_admin' },
      { status: 'active' },
      { isAdmin: true },
    ];

    it('covers every PATCH route of the app', async () => {
      const [role] = await sql<{ id: string }>(
        `insert into roles (tenant_id, name, permissions) values ($1, 'patch-me', '{users:read}') returning id`,
        [world.tenantA.id],
      );
      const member = await createUser({ tenantId: world.tenantA.id, name: 'Patch target' });
      const targets: Record<string, { path: string; as: string; state: () => Promise<unknown> }> = {
        '/v1/me': {
          path: '/v1/me',
          as: member.id,
          state: () => sql('select * from users where id = $1', [member.id]),
        },
        '/v1/users/:id': {
          path: `/v1/users/${member.id}`,
          as: world.adminA.id,
          state: () => sql('select * from users where id = $1', [member.id]),
        },
        '/v1/tenants/:id': {
          path: `/v1/tenants/${world.tenantA.id}`,
          as: world.adminA.id,
          state: () => sql('select * from tenants where id = $1', [world.tenantA.id]),
        },
        '/v1/roles/:id': {
          path: `/v1/roles/${role!.id}`,
          as: world.adminA.id,
          state: () => sql('select * from roles where id = $1', [role!.id]),
        },
      };
      const patchRoutes = listRoutes(t.app)
        .filter((r) => r.method === 'PATCH')
        .map((r) => r.path)
        .sort();
      expect(patchRoutes).toEqual(Object.keys(targets).sort());
      for (const [route, target] of Object.entries(targets)) {
        const before = await target.state();
        for (const body of FORBIDDEN_FIELDS) {
          const r = await t.http
            .patch(target.path)
            .set(asUser(target.as))
            .send({ name: 'Valid name', ...body });
          expect({ route, body, status: r.status, type: r.body.type }).toEqual({
            route,
            body,
            status: 400,
            type: 'urn:tessera:problem:validation-failed',
          });
        }
        expect(await target.state()).toEqual(before);
      }
    });
  });
});
