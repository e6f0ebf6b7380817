import { randomUUID } from 'node:crypto';
import { sql, TestApp } from '../support/app';
import { createClient, createKey, createS2s } from '../support/machine-helpers';
import { createUser, signIn } from '../support/test-auth';

/** The two tenants and their people, created once by the isolation suite. */
export interface IsolationWorld {
  tenantA: { id: string; slug: string };
  tenantB: { id: string; slug: string };
  /** Administers tenant A (the owner of every resource). */
  adminA: { id: string; email: string; tenantId: string };
  /** The attacker: the strongest role tenant B has (domain_admin of B's subtree). */
  adminB: { id: string; email: string; tenantId: string };
  /** The app under test, for resources best created through the API. */
  app: TestApp;
}

export interface Attempt {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  body?: object;
}

/**
 * One resource type for the cross-tenant suite: create it in tenant A, list every verb tenant
 * B's admin could try on it, and read back its state to prove nothing changed. A module adds
 * its resource type by appending one entry here (keys, OAuth clients, SSO configs...).
 */
export interface IsolatedResource {
  name: string;
  setup(world: IsolationWorld): Promise<{ id: string; extra?: Record<string, string> }>;
  attempts(ref: { id: string; extra?: Record<string, string> }, world: IsolationWorld): Attempt[];
  /** What must be identical before and after the attempts. */
  snapshot(
    ref: { id: string; extra?: Record<string, string> },
    world: IsolationWorld,
  ): Promise<unknown>;
}

export const ISOLATED_RESOURCES: IsolatedResource[] = [
  {
    name: 'tenants',
    setup: async (w) => ({ id: w.tenantA.id }),
    attempts: ({ id }) => [
      { method: 'get', path: `/v1/tenants/${id}` },
      { method: 'get', path: `/v1/tenants/${id}/children` },
      { method: 'patch', path: `/v1/tenants/${id}`, body: { name: 'Taken over' } },
      { method: 'post', path: `/v1/tenants/${id}/suspend` },
      { method: 'post', path: `/v1/tenants/${id}/activate` },
      { method: 'post', path: '/v1/tenants', body: { name: 'Planted child', parentId: id } },
    ],
    snapshot: async ({ id }) => ({
      tenant: await sql('select name, status, settings, updated_at from tenants where id = $1', [
        id,
      ]),
      children: await sql('select id from tenants where parent_id = $1 order by id', [id]),
    }),
  },
  {
    name: 'users',
    setup: async (w) => {
      const u = await createUser({ tenantId: w.tenantA.id, name: 'Victim' });
      const pending = await createUser({
        tenantId: w.tenantA.id,
        status: 'pending',
        name: 'Pending victim',
      });
      return { id: u.id, extra: { pending: pending.id } };
    },
    attempts: ({ id, extra }, w) => [
      { method: 'get', path: `/v1/users/${id}` },
      { method: 'patch', path: `/v1/users/${id}`, body: { name: 'Renamed' } },
      { method: 'post', path: `/v1/users/${id}/disable` },
      { method: 'post', path: `/v1/users/${id}/enable` },
      { method: 'delete', path: `/v1/users/${id}` },
      { method: 'post', path: `/v1/users/${extra!.pending}/invitation/resend` },
      { method: 'get', path: `/v1/users?tenantId=${w.tenantA.id}` },
      {
        method: 'post',
        path: `/v1/users/invitations?tenantId=${w.tenantA.id}`,
        body: { email: `planted-${randomUUID()}@example.test`, name: 'Planted' },
      },
      { method: 'get', path: `/v1/users/${id}/roles` },
      {
        method: 'put',
        path: `/v1/users/${id}/roles`,
        body: { role: 'tenant_admin', taskRoles: [] },
      },
    ],
    snapshot: async ({ id, extra }, w) => ({
      users: await sql(
        'select id, name, status, role, authz_version, updated_at from users where id in ($1, $2) order by id',
        [id, extra!.pending],
      ),
      count: await sql('select count(*)::int as n from users where tenant_id = $1', [w.tenantA.id]),
      links: await sql(
        'select id, superseded_at from account_tokens where user_id = $1 order by id',
        [extra!.pending],
      ),
    }),
  },
  {
    name: 'roles',
    setup: async (w) => {
      const [row] = await sql<{ id: string }>(
        `insert into roles (tenant_id, name, permissions) values ($1, 'a-only', '{users:read}') returning id`,
        [w.tenantA.id],
      );
      return { id: row!.id };
    },
    attempts: ({ id }, w) => [
      { method: 'get', path: `/v1/roles/${id}` },
      {
        method: 'patch',
        path: `/v1/roles/${id}`,
        body: { permissions: ['users:read', 'users:delete'] },
      },
      { method: 'delete', path: `/v1/roles/${id}` },
      { method: 'get', path: `/v1/roles?tenantId=${w.tenantA.id}` },
      {
        method: 'post',
        path: `/v1/roles?tenantId=${w.tenantA.id}`,
        body: { name: 'planted', permissions: ['users:read'] },
      },
    ],
    snapshot: async (_ref, w) =>
      sql('select id, name, permissions, updated_at from roles where tenant_id = $1 order by id', [
        w.tenantA.id,
      ]),
  },
  {
    name: 'sessions',
    setup: async (w) => {
      const u = await createUser({ tenantId: w.tenantA.id, name: 'Session owner' });
      const [s] = await sql<{ id: string }>('select id from sessions where user_id = $1', [u.id]);
      await signIn(w.adminB); // the attacker's own session stays the one asUser() sends
      return { id: u.id, extra: { session: s!.id } };
    },
    attempts: ({ id, extra }) => [
      { method: 'get', path: `/v1/users/${id}/sessions` },
      { method: 'delete', path: `/v1/users/${id}/sessions/${extra!.session}` },
      { method: 'delete', path: `/v1/users/${id}/sessions` },
      { method: 'delete', path: `/v1/auth/sessions/${extra!.session}` },
    ],
    snapshot: async ({ id }) =>
      sql('select id, revoked_at from sessions where user_id = $1 order by id', [id]),
  },
  {
    name: 'audit events',
    setup: async (w) => ({ id: w.tenantA.id }),
    attempts: ({ id }) => [
      { method: 'get', path: `/v1/audit-events?tenantId=${id}` },
      { method: 'get', path: `/v1/audit-events?tenantId=${id}&subtree=true` },
      { method: 'get', path: `/v1/audit-events/export?tenantId=${id}&format=ndjson` },
      { method: 'get', path: `/v1/audit-events/export?tenantId=${id}&format=csv` },
    ],
    // Read-only resource: what must not change is what B can see (every refusal is a 403/404).
    snapshot: async () => null,
  },
  {
    name: 'API keys',
    setup: async (w) => {
      const owner = await createUser({ tenantId: w.tenantA.id, name: 'Key owner' });
      await signIn(w.adminB);
      return { id: (await createKey(w.app, owner.id, { scopes: ['read'] })).id, extra: { owner: owner.id } };
    },
    attempts: ({ id, extra }, w) => [
      { method: 'get', path: `/v1/api-keys/${id}` },
      { method: 'post', path: `/v1/api-keys/${id}/rotate`, body: {} },
      { method: 'delete', path: `/v1/api-keys/${id}` },
      { method: 'get', path: `/v1/api-keys?tenantId=${w.tenantA.id}` },
      { method: 'post', path: `/v1/api-keys?tenantId=${w.tenantA.id}`, body: { name: 'planted', scopes: ['read'], userId: extra!.owner } },
    ],
    snapshot: async (_ref, w) => sql('select id, secret_digest, revoked_at, expires_at from api_keys where tenant_id = $1 order by id', [w.tenantA.id]),
  },
  {
    name: 'S2S tokens',
    setup: async (w) => ({ id: (await createS2s(w.app, w.adminA.id, { role: 'member', scopes: ['read'] })).id }),
    attempts: ({ id }, w) => [
      { method: 'get', path: `/v1/s2s-tokens/${id}` },
      { method: 'post', path: `/v1/s2s-tokens/${id}/rotate`, body: {} },
      { method: 'delete', path: `/v1/s2s-tokens/${id}` },
      { method: 'get', path: `/v1/s2s-tokens?tenantId=${w.tenantA.id}` },
      { method: 'post', path: `/v1/s2s-tokens?tenantId=${w.tenantA.id}`, body: { name: 'planted', role: 'member', scopes: ['read'] } },
    ],
    snapshot: async (_ref, w) => sql('select id, secret_digest, revoked_at from api_keys where tenant_id = $1 order by id', [w.tenantA.id]),
  },
  {
    name: 'OAuth clients',
    setup: async (w) => {
      const svc = await createUser({ tenantId: w.tenantA.id, name: 'Service user' });
      return { id: (await createClient(w.app, w.adminA.id, { userId: svc.id, scopes: ['read'] })).id, extra: { svc: svc.id } };
    },
    attempts: ({ id, extra }, w) => [
      { method: 'get', path: `/v1/oauth-clients/${id}` },
      { method: 'post', path: `/v1/oauth-clients/${id}/disable` },
      { method: 'post', path: `/v1/oauth-clients/${id}/enable` },
      { method: 'post', path: `/v1/oauth-clients/${id}/rotate-secret` },
      { method: 'delete', path: `/v1/oauth-clients/${id}` },
      { method: 'get', path: `/v1/oauth-clients?tenantId=${w.tenantA.id}` },
      { method: 'post', path: `/v1/oauth-clients?tenantId=${w.tenantA.id}`, body: { name: 'planted', userId: extra!.svc } },
    ],
    snapshot: async (_ref, w) => sql('select * from oauth_clients where tenant_id = $1 order by id', [w.tenantA.id]),
  },
];
