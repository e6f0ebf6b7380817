import { TenantDb } from '@tessera/database';
import { TenantsService } from '@tessera/tenants';
import { randomBytes, randomUUID } from 'node:crypto';
import type request from 'supertest';
import { sql, startApp, TestApp } from './support/app';
import {
  asUser,
  auditRows,
  createTenant,
  createUser,
  PLATFORM_TENANT_ID,
  TestAuthModule,
  uniqueSlug,
} from './support/test-auth';

const PROBLEM = 'urn:tessera:problem:';
const RESPONSE_KEYS = [
  'createdAt',
  'id',
  'name',
  'parentId',
  'settings',
  'slug',
  'status',
  'updatedAt',
];

type TenantRow = {
  id: string;
  parent_id: string | null;
  path: string[];
  slug: string;
  name: string;
  status: string;
  settings: object;
};

async function tenantRow(id: string): Promise<TenantRow | undefined> {
  const [row] = await sql<TenantRow>(
    'select id, parent_id, path, slug, name, status, settings from tenants where id = $1',
    [id],
  );
  return row;
}

async function tenantsNamed(name: string): Promise<number> {
  const [r] = await sql<{ n: string }>('select count(*) as n from tenants where name = $1', [name]);
  return Number(r.n);
}

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;

describe('tenants API', () => {
  let t: TestApp;
  // Platform root → reseller (domain admin) → merchant (tenant admin, member) → shop;
  // platform root → otherReseller → otherMerchant.
  let sysAdmin: { id: string };
  let reseller: { id: string; slug: string };
  let domainAdmin: { id: string };
  let merchant: { id: string; slug: string };
  let merchantAdmin: { id: string };
  let member: { id: string };
  let shop: { id: string; slug: string };
  let otherReseller: { id: string; slug: string };
  let otherMerchant: { id: string; slug: string };

  beforeAll(async () => {
    t = await startApp({}, { extraModules: [TestAuthModule] });
    sysAdmin = await createUser({ tenantId: PLATFORM_TENANT_ID, role: 'system_admin' });
    reseller = await createTenant();
    domainAdmin = await createUser({ tenantId: reseller.id, role: 'domain_admin' });
    merchant = await createTenant({ parentId: reseller.id });
    merchantAdmin = await createUser({ tenantId: merchant.id, role: 'tenant_admin' });
    member = await createUser({ tenantId: merchant.id, role: 'member' });
    shop = await createTenant({ parentId: merchant.id });
    otherReseller = await createTenant();
    otherMerchant = await createTenant({ parentId: otherReseller.id });
  });
  afterAll(() => t.close());

  describe('POST /v1/tenants', () => {
    it('lets a system admin create a top-level tenant: child of the platform root, active, audited', async () => {
      const slug = uniqueSlug('top');
      const name = unique('Top Co');
      const res = await t.http.post('/v1/tenants').set(asUser(sysAdmin.id)).send({ name, slug });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(RESPONSE_KEYS);
      expect(res.body).toMatchObject({
        parentId: PLATFORM_TENANT_ID,
        slug,
        name,
        status: 'active',
        settings: {},
      });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);

      const row = await tenantRow(res.body.id);
      expect(row).toMatchObject({
        parent_id: PLATFORM_TENANT_ID,
        slug,
        name,
        status: 'active',
        path: [PLATFORM_TENANT_ID, res.body.id],
      });

      const audit = await auditRows('tenant.create', res.body.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor_type: 'user',
        actor_id: sysAdmin.id,
        credential_type: 'access_token',
        target_type: 'tenant',
        target_id: res.body.id,
        risk_tier: 2,
        decision: 'allow',
        outcome: 'success',
        route: '/v1/tenants',
        method: 'POST',
        params: { name, slug, parentId: PLATFORM_TENANT_ID, status: 'active' },
      });
    });

    it('derives the slug from the name when it is omitted, and stores valid settings', async () => {
      const tag = randomBytes(3).toString('hex');
      const res = await t.http
        .post('/v1/tenants')
        .set(asUser(sysAdmin.id))
        .send({
          name: `  Café Müller ${tag}  `,
          settings: {
            mfa: { requiredForAll: true },
            passwordPolicy: { minLength: 14, minScore: 4 },
            allowedEmailDomains: ['Example.COM', 'example.com', ' shop.example.org '],
          },
        });
      expect(res.status).toBe(201);
      expect(res.body.slug).toBe(`cafe-muller-${tag}`);
      expect(res.body.name).toBe(`Café Müller ${tag}`);
      const expected = {
        mfa: { requiredForAll: true },
        passwordPolicy: { minLength: 14, minScore: 4 },
        allowedEmailDomains: ['example.com', 'shop.example.org'],
      };
      expect(res.body.settings).toEqual(expected);
      expect((await tenantRow(res.body.id))!.settings).toEqual(expected);
    });

    it('lets a domain admin create under its own tenant (default) and under a descendant', async () => {
      const own = await t.http
        .post('/v1/tenants')
        .set(asUser(domainAdmin.id))
        .send({ name: unique('Merchant') });
      expect(own.status).toBe(201);
      expect(own.body).toMatchObject({ parentId: reseller.id, status: 'active' });
      expect((await tenantRow(own.body.id))!.path).toEqual([
        PLATFORM_TENANT_ID,
        reseller.id,
        own.body.id,
      ]);

      const deeper = await t.http
        .post('/v1/tenants')
        .set(asUser(domainAdmin.id))
        .send({ name: unique('Branch'), parentId: merchant.id });
      expect(deeper.status).toBe(201);
      expect(deeper.body.parentId).toBe(merchant.id);
      expect(await auditRows('tenant.create', deeper.body.id)).toEqual([
        expect.objectContaining({ actor_id: domainAdmin.id }),
      ]);
    });

    it('refuses a domain admin under another tree or above itself (403, nothing persisted, denial audited)', async () => {
      for (const parentId of [
        otherReseller.id,
        otherMerchant.id,
        PLATFORM_TENANT_ID,
        randomUUID(),
      ]) {
        const name = unique('Intruder');
        const res = await t.http
          .post('/v1/tenants')
          .set(asUser(domainAdmin.id))
          .send({ name, parentId });
        expect(res.status).toBe(403);
        expect(res.body.type).toBe(`${PROBLEM}forbidden`);
        expect(await tenantsNamed(name)).toBe(0);
        const denied = await auditRows('access.denied', reseller.id);
        expect(
          denied.some(
            (r) =>
              r.target_id === parentId && r.actor_id === domainAdmin.id && r.decision === 'deny',
          ),
        ).toBe(true);
      }
    });

    it('refuses tenant admins and members (403, nothing persisted)', async () => {
      for (const user of [merchantAdmin, member]) {
        const name = unique('Nope');
        const res = await t.http.post('/v1/tenants').set(asUser(user.id)).send({ name });
        expect(res.status).toBe(403);
        expect(await tenantsNamed(name)).toBe(0);
      }
    });

    it('answers 409 slug-taken for a slug used anywhere on the platform, even in a tree the caller cannot see', async () => {
      const name = unique('Copycat');
      const res = await t.http
        .post('/v1/tenants')
        .set(asUser(domainAdmin.id))
        .send({ name, slug: otherReseller.slug });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: `${PROBLEM}slug-taken`, slug: otherReseller.slug });
      expect(await tenantsNamed(name)).toBe(0);

      const reserved = await t.http
        .post('/v1/tenants')
        .set(asUser(sysAdmin.id))
        .send({ name: unique('Admin'), slug: 'admin' });
      expect(reserved.status).toBe(409);
    });

    it('refuses a creation under a suspended or pending parent (409 parent-not-active)', async () => {
      const suspended = await createTenant({ parentId: reseller.id, status: 'suspended' });
      const name = unique('Under suspended');
      const res = await t.http
        .post('/v1/tenants')
        .set(asUser(domainAdmin.id))
        .send({ name, parentId: suspended.id });
      expect(res.status).toBe(409);
      expect(res.body.type).toBe(`${PROBLEM}parent-not-active`);
      expect(await tenantsNamed(name)).toBe(0);
    });

    it('validates the body: bad slug, bad parentId, empty name, unknown fields → 400', async () => {
      const bodies = [
        { name: unique('X'), slug: 'Upper-Case' },
        { name: unique('X'), slug: '-leading' },
        { name: unique('X'), slug: 'a'.repeat(64) },
        { name: unique('X'), parentId: 'not-a-uuid' },
        { name: '   ' },
        { name: 'a'.repeat(201) },
        { name: 'line\nbreak' },
        { name: unique('X'), status: 'active' },
        { name: unique('X'), tenantId: reseller.id },
      ];
      for (const body of bodies) {
        const res = await t.http.post('/v1/tenants').set(asUser(sysAdmin.id)).send(body);
        expect(res.status).toBe(400);
        expect(res.body.type).toBe(`${PROBLEM}validation-failed`);
        if (typeof body.name === 'string' && body.name.trim())
          expect(await tenantsNamed(body.name.trim())).toBe(0);
      }
    });
  });

  describe('GET /v1/tenants/:id', () => {
    it('lets a tenant admin read its own tenant and admins above read it', async () => {
      for (const user of [merchantAdmin, domainAdmin, sysAdmin]) {
        const res = await t.http.get(`/v1/tenants/${merchant.id}`).set(asUser(user.id));
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(RESPONSE_KEYS);
        expect(res.body).toMatchObject({
          id: merchant.id,
          parentId: reseller.id,
          slug: merchant.slug,
        });
      }
    });

    it('answers 404 (not 403) for a tenant the caller cannot act in, the same as for an unknown id, and audits the denial', async () => {
      const unknown = await t.http.get(`/v1/tenants/${randomUUID()}`).set(asUser(merchantAdmin.id));
      expect(unknown.status).toBe(404);
      // Another tree; the caller's parent (above it); its own child (a tenant admin does not act in descendants).
      for (const target of [otherMerchant.id, reseller.id, shop.id]) {
        const res = await t.http.get(`/v1/tenants/${target}`).set(asUser(merchantAdmin.id));
        expect(res.status).toBe(404);
        const { requestId: _a, ...body } = res.body;
        const { requestId: _b, ...unknownBody } = unknown.body;
        expect(body).toEqual(unknownBody);
        const denied = await auditRows('access.denied', merchant.id);
        expect(denied.find((r) => r.target_id === target)).toMatchObject({
          decision: 'deny',
          outcome: 'failure',
          actor_type: 'user',
          actor_id: merchantAdmin.id,
          target_type: 'tenant',
          route: '/v1/tenants/:id',
        });
      }
      const domain = await t.http
        .get(`/v1/tenants/${otherMerchant.id}`)
        .set(asUser(domainAdmin.id));
      expect(domain.status).toBe(404);
      const malformed = await t.http.get('/v1/tenants/not-a-uuid').set(asUser(sysAdmin.id));
      expect(malformed.status).toBe(404);
    });
  });

  describe('PATCH /v1/tenants/:id', () => {
    it('lets a tenant admin rename its tenant and change its settings (audited), but not its status (403)', async () => {
      const mine = await createTenant({ parentId: reseller.id });
      const admin = await createUser({ tenantId: mine.id, role: 'tenant_admin' });
      const name = unique('Renamed');
      const renamed = await t.http
        .patch(`/v1/tenants/${mine.id}`)
        .set(asUser(admin.id))
        .send({ name, settings: { mfa: { requiredForAll: true } } });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({
        name,
        settings: { mfa: { requiredForAll: true } },
        status: 'active',
      });
      expect(await tenantRow(mine.id)).toMatchObject({
        name,
        settings: { mfa: { requiredForAll: true } },
      });
      const [update] = await auditRows('tenant.update', mine.id);
      expect(update).toMatchObject({
        actor_id: admin.id,
        target_id: mine.id,
        risk_tier: 2,
        params: {
          name,
          settings: { mfa: { requiredForAll: true } },
          previous: { name: `Tenant ${mine.slug}`, settings: {} },
        },
      });

      const suspend = await t.http
        .post(`/v1/tenants/${mine.id}/suspend`)
        .set(asUser(admin.id));
      expect(suspend.status).toBe(403);
      expect((await tenantRow(mine.id))!.status).toBe('active');
      // Status is not a PATCH field: the whole request is refused, the name is not applied either.
      const both = await t.http
        .patch(`/v1/tenants/${mine.id}`)
        .set(asUser(admin.id))
        .send({ name: unique('Sneaky'), status: 'suspended' });
      expect(both.status).toBe(400);
      expect((await tenantRow(mine.id))!.name).toBe(name);
      expect(
        (await auditRows('access.denied', mine.id)).filter((r) => r.actor_id === admin.id),
      ).toHaveLength(1);
    });

    it('lets a domain admin above a tenant suspend and reactivate it (risk tier 3), but not its own tenant', async () => {
      const child = await createTenant({ parentId: reseller.id });
      const suspend = await t.http
        .post(`/v1/tenants/${child.id}/suspend`)
        .set(asUser(domainAdmin.id));
      expect(suspend.status).toBe(200);
      expect(suspend.body.status).toBe('suspended');
      expect((await tenantRow(child.id))!.status).toBe('suspended');
      const [row] = await auditRows('tenant.update', child.id);
      expect(row).toMatchObject({
        risk_tier: 3,
        params: { status: 'suspended', previous: { status: 'active' } },
        actor_id: domainAdmin.id,
      });

      const activate = await t.http
        .post(`/v1/tenants/${child.id}/activate`)
        .set(asUser(domainAdmin.id));
      expect(activate.status).toBe(200);
      expect((await tenantRow(child.id))!.status).toBe('active');

      const own = await t.http
        .post(`/v1/tenants/${reseller.id}/suspend`)
        .set(asUser(domainAdmin.id));
      expect(own.status).toBe(403);
      expect((await tenantRow(reseller.id))!.status).toBe('active');

      const pending = await t.http
        .patch(`/v1/tenants/${child.id}`)
        .set(asUser(domainAdmin.id))
        .send({ status: 'pending' });
      expect(pending.status).toBe(400);
    });

    it('never changes the platform root status', async () => {
      const res = await t.http
        .post(`/v1/tenants/${PLATFORM_TENANT_ID}/suspend`)
        .set(asUser(sysAdmin.id));
      expect(res.status).toBe(403);
      const service = t.app.get(TenantsService);
      await expect(
        service.update({ kind: 'operator' }, PLATFORM_TENANT_ID, { status: 'suspended' }),
      ).rejects.toMatchObject({ status: 403 });
      expect((await tenantRow(PLATFORM_TENANT_ID))!.status).toBe('active');
    });

    it('refuses mass assignment: tenantId, parentId, slug, id, path or unknown fields → 400 and nothing changes', async () => {
      const before = await tenantRow(merchant.id);
      for (const extra of [
        { tenantId: otherReseller.id },
        { parentId: otherReseller.id },
        { slug: uniqueSlug('stolen') },
        { id: randomUUID() },
        { path: [PLATFORM_TENANT_ID] },
        { createdAt: '2000-01-01T00:00:00Z' },
        { role: 'system_admin' },
      ]) {
        const res = await t.http
          .patch(`/v1/tenants/${merchant.id}`)
          .set(asUser(domainAdmin.id))
          .send({ name: unique('Changed'), ...extra });
        expect(res.status).toBe(400);
        expect(res.body.type).toBe(`${PROBLEM}validation-failed`);
      }
      expect(await tenantRow(merchant.id)).toEqual(before);
    });

    it('validates settings: weaker password policy, bad domains, unknown keys → 400, nothing changed', async () => {
      const before = await tenantRow(merchant.id);
      for (const settings of [
        { passwordPolicy: { minLength: 8 } },
        { passwordPolicy: { minLength: 11 } },
        { passwordPolicy: { minLength: 12.5 } },
        { passwordPolicy: { minLength: 257 } },
        { passwordPolicy: { minScore: 2 } },
        { passwordPolicy: { minScore: '4' } },
        { passwordPolicy: { maxLength: 20 } },
        { allowedEmailDomains: ['not a domain'] },
        { allowedEmailDomains: ['localhost'] },
        { allowedEmailDomains: ['*.example.com'] },
        { allowedEmailDomains: ['user@example.com'] },
        { allowedEmailDomains: 'example.com' },
        { allowedEmailDomains: Array.from({ length: 51 }, (_, i) => `d${i}.example.com`) },
        { mfa: { requiredForAll: 'yes' } },
        { mfa: true },
        { mfa: { requiredForAll: true, backdoor: true } },
        { somethingElse: true },
      ]) {
        const res = await t.http
          .patch(`/v1/tenants/${merchant.id}`)
          .set(asUser(merchantAdmin.id))
          .send({ settings });
        expect({ settings, status: res.status }).toEqual({ settings, status: 400 });
        expect(res.body.type).toBe(`${PROBLEM}validation-failed`);
      }
      const weakOnCreate = await t.http
        .post('/v1/tenants')
        .set(asUser(sysAdmin.id))
        .send({ name: unique('Weak'), settings: { passwordPolicy: { minLength: 6 } } });
      expect(weakOnCreate.status).toBe(400);
      expect(await tenantRow(merchant.id)).toEqual(before);
    });

    it('merges settings by key: given keys replace, null removes, absent keys stay', async () => {
      const mine = await createTenant({
        parentId: reseller.id,
        settings: { passwordPolicy: { minLength: 16 }, allowedEmailDomains: ['a.example'] },
      });
      const r1 = await t.http
        .patch(`/v1/tenants/${mine.id}`)
        .set(asUser(domainAdmin.id))
        .send({ settings: { mfa: { requiredForAll: true } } });
      expect(r1.body.settings).toEqual({
        mfa: { requiredForAll: true },
        passwordPolicy: { minLength: 16 },
        allowedEmailDomains: ['a.example'],
      });
      const r2 = await t.http
        .patch(`/v1/tenants/${mine.id}`)
        .set(asUser(domainAdmin.id))
        .send({ settings: { allowedEmailDomains: null, passwordPolicy: { minScore: 4 } } });
      expect(r2.status).toBe(200);
      expect(r2.body.settings).toEqual({
        mfa: { requiredForAll: true },
        passwordPolicy: { minScore: 4 },
      });
      expect((await tenantRow(mine.id))!.settings).toEqual({
        mfa: { requiredForAll: true },
        passwordPolicy: { minScore: 4 },
      });
    });

    it('writes nothing and audits nothing when nothing changes', async () => {
      const mine = await createTenant({ parentId: reseller.id });
      const row = await tenantRow(mine.id);
      const res = await t.http
        .patch(`/v1/tenants/${mine.id}`)
        .set(asUser(domainAdmin.id))
        .send({ name: row!.name });
      expect(res.status).toBe(200);
      expect(await auditRows('tenant.update', mine.id)).toHaveLength(0);
    });

    it('answers 404 for a tenant outside the caller reach and changes nothing', async () => {
      const before = await tenantRow(otherMerchant.id);
      const res = await t.http
        .patch(`/v1/tenants/${otherMerchant.id}`)
        .set(asUser(domainAdmin.id))
        .send({ name: unique('Hijack') });
      expect(res.status).toBe(404);
      expect(await tenantRow(otherMerchant.id)).toEqual(before);
    });
  });

  describe('GET /v1/tenants/:id/children', () => {
    it('pages through direct children with an opaque cursor, also when they share a creation time', async () => {
      const parent = await createTenant({ parentId: reseller.id });
      // Five children in one statement: identical created_at, so only the id breaks ties.
      const ids = Array.from({ length: 5 }, () => randomUUID());
      await sql(
        `insert into tenants (id, parent_id, slug, name, status)
         select id, $1, 'c-' || substr(md5(id::text), 1, 12), 'Child ' || ord, 'active'
           from unnest($2::uuid[]) with ordinality as u(id, ord)`,
        [parent.id, ids],
      );
      const grandchild = await createTenant({ parentId: ids[0] });

      const seen: string[] = [];
      let cursor: string | null = null;
      const pageSizes: number[] = [];
      do {
        const res: request.Response = await t.http
          .get(`/v1/tenants/${parent.id}/children`)
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(asUser(domainAdmin.id));
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
        pageSizes.push(res.body.items.length);
        for (const item of res.body.items) {
          expect(Object.keys(item).sort()).toEqual(RESPONSE_KEYS);
          expect(item.parentId).toBe(parent.id);
          seen.push(item.id);
        }
        cursor = res.body.nextCursor;
        if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      } while (cursor && pageSizes.length < 10);
      expect(pageSizes).toEqual([2, 2, 1]);
      expect(seen).toEqual([...ids].sort());
      expect(seen).not.toContain(grandchild.id);

      const all = await t.http.get(`/v1/tenants/${parent.id}/children`).set(asUser(domainAdmin.id));
      expect(all.body.items).toHaveLength(5);
      expect(all.body.nextCursor).toBeNull();
    });

    it('is readable by the tenant admin of the parent, 404 outside the caller reach', async () => {
      const own = await t.http
        .get(`/v1/tenants/${merchant.id}/children`)
        .set(asUser(merchantAdmin.id));
      expect(own.status).toBe(200);
      expect(own.body.items.map((i: { id: string }) => i.id)).toContain(shop.id);
      const other = await t.http
        .get(`/v1/tenants/${otherReseller.id}/children`)
        .set(asUser(domainAdmin.id));
      expect(other.status).toBe(404);
      const up = await t.http
        .get(`/v1/tenants/${reseller.id}/children`)
        .set(asUser(merchantAdmin.id));
      expect(up.status).toBe(404);
    });

    it('refuses bad limits and forged cursors (400)', async () => {
      for (const query of [{ limit: 0 }, { limit: 201 }, { limit: 'many' }, { other: 1 }]) {
        const res = await t.http
          .get(`/v1/tenants/${merchant.id}/children`)
          .query(query)
          .set(asUser(domainAdmin.id));
        expect(res.status).toBe(400);
        expect(res.body.type).toBe(`${PROBLEM}validation-failed`);
      }
      const forged = [
        'not base64!',
        Buffer.from('{"a":1}').toString('base64url'),
        Buffer.from(
          JSON.stringify(["2026-01-01T00:00:00.000000Z'; drop table tenants; --", randomUUID()]),
        ).toString('base64url'),
        Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000000Z', 'not-a-uuid'])).toString(
          'base64url',
        ),
      ];
      for (const cursor of forged) {
        const res = await t.http
          .get(`/v1/tenants/${merchant.id}/children`)
          .query({ cursor })
          .set(asUser(domainAdmin.id));
        expect(res.status).toBe(400);
      }
      const ok = await t.http
        .get(`/v1/tenants/${merchant.id}/children`)
        .query({
          cursor: Buffer.from(
            JSON.stringify(['1970-01-01T00:00:00.000000Z', randomUUID()]),
          ).toString('base64url'),
        })
        .set(asUser(domainAdmin.id));
      expect(ok.status).toBe(200);
    });
  });

  it('refuses members on every route (403)', async () => {
    const name = unique('Member made');
    const responses = await Promise.all([
      t.http.post('/v1/tenants').set(asUser(member.id)).send({ name }),
      t.http.get(`/v1/tenants/${merchant.id}`).set(asUser(member.id)),
      t.http.patch(`/v1/tenants/${merchant.id}`).set(asUser(member.id)).send({ name }),
      t.http.get(`/v1/tenants/${merchant.id}/children`).set(asUser(member.id)),
    ]);
    expect(responses.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(await tenantsNamed(name)).toBe(0);
  });

  it('refuses unauthenticated callers (401)', async () => {
    const res = await t.http.get(`/v1/tenants/${merchant.id}`);
    expect(res.status).toBe(401);
  });

  describe('service API (CLI and sign-up)', () => {
    it('creates as the operator, audited with actor type operator', async () => {
      const service = t.app.get(TenantsService);
      const tenant = await service.create(
        { kind: 'operator', id: 'ops-alice' },
        { name: unique('Operator made') },
      );
      expect(tenant).toMatchObject({ parentId: PLATFORM_TENANT_ID, status: 'active' });
      const [row] = await auditRows('tenant.create', tenant.id);
      expect(row).toMatchObject({
        actor_type: 'operator',
        actor_id: 'ops-alice',
        credential_type: 'cli',
        route: null,
      });
    });

    it('createTenantRecord suffixes a derived slug that is taken, and refuses an explicit one', async () => {
      const service = t.app.get(TenantsService);
      const db = t.app.get(TenantDb);
      const taken = await createTenant({ slug: uniqueSlug('dup') });
      const derived = await db.withTenant(PLATFORM_TENANT_ID, (em) =>
        service.createTenantRecord(em, {
          name: taken.slug,
          parentId: PLATFORM_TENANT_ID,
          status: 'pending',
        }),
      );
      expect(derived.slug).toMatch(new RegExp(`^${taken.slug}-[a-z0-9]{6}$`));
      expect(derived.status).toBe('pending');
      await expect(
        db.withTenant(PLATFORM_TENANT_ID, (em) =>
          service.createTenantRecord(em, {
            name: 'x',
            slug: taken.slug,
            parentId: PLATFORM_TENANT_ID,
            status: 'active',
          }),
        ),
      ).rejects.toMatchObject({ status: 409, code: 'slug-taken' });
    });
  });
});
