import { PreTenantLookup } from '@tessera/database';
import { KeyValueStore, MemoryStore } from '@tessera/store';
import { AuthorizationCache } from './authorization-cache.service';

/**
 * The versioning that makes role changes apply on the next request without a database
 * round trip per check: a reader that loaded older data can never cache it over a newer
 * change, whatever order the writes arrive in.
 */
describe('AuthorizationCache versioning', () => {
  let store: KeyValueStore;
  let row: { role: string; status: string; version: number; task_roles: string[]; custom_permissions: string[] };
  let cache: AuthorizationCache;

  beforeEach(() => {
    store = new MemoryStore();
    row = { role: 'tenant_admin', status: 'active', version: 1, task_roles: [], custom_permissions: [] };
    const lookup = { userAuthz: async () => ({ ...row }) } as unknown as PreTenantLookup;
    cache = new AuthorizationCache(store, lookup);
  });
  afterEach(() => store.close());

  it('loads once, then serves from the store', async () => {
    const first = await cache.forUser('u1', 't1');
    expect(first!.permissions.has('users:read')).toBe(true);
    row.role = 'member'; // changed in PostgreSQL without invalidation: the cache still answers
    expect((await cache.forUser('u1', 't1'))!.role).toBe('tenant_admin');
  });

  it('an invalidation makes the next read load the new version', async () => {
    await cache.forUser('u1', 't1');
    row = { ...row, role: 'member', version: 2 };
    await cache.invalidate([{ userId: 'u1', version: 2 }]);
    expect(cache.parse(await store.get(cache.key('u1')))).toBeNull();
    const now = await cache.forUser('u1', 't1');
    expect(now!.role).toBe('member');
    expect(now!.permissions.has('users:read')).toBe(false);
    expect(cache.parse(await store.get(cache.key('u1')))!.version).toBe(2);
  });

  it('a stale reader (loaded version 1 before the change) cannot cache it after the invalidation', async () => {
    // Reader loads v1 from PostgreSQL, then stalls; the change commits as v2 and invalidates.
    const staleLoad = cache.load('u1', 't1');
    row = { ...row, role: 'member', version: 2 };
    await cache.invalidate([{ userId: 'u1', version: 2 }]);
    await staleLoad; // its write of v1 arrives late
    expect(cache.parse(await store.get(cache.key('u1')))).toBeNull();
    expect((await cache.forUser('u1', 't1'))!.role).toBe('member');
  });

  it('a tombstone written before the commit blocks readers of the old version until the new one is read', async () => {
    await cache.invalidate([{ userId: 'u1', version: 2 }]); // inside the transaction, before COMMIT
    await cache.load('u1', 't1'); // a reader still sees v1 (uncommitted change): not cached
    expect(cache.parse(await store.get(cache.key('u1')))).toBeNull();
    row = { ...row, version: 2 }; // committed
    await cache.load('u1', 't1');
    expect(cache.parse(await store.get(cache.key('u1')))!.version).toBe(2);
  });

  it('custom-role permissions join the role, but tier 4 never does', async () => {
    row = { ...row, role: 'member', task_roles: ['auditor', 'custom-x'], custom_permissions: ['users:delete', 'tenants:delete', 'no:such'] };
    const a = await cache.forUser('u2', 't1');
    expect(a!.permissions.has('audit:read')).toBe(true);
    expect(a!.permissions.has('users:delete')).toBe(true);
    expect(a!.permissions.has('tenants:delete')).toBe(false);
    expect(a!.permissions.has('no:such' as never)).toBe(false);
  });
});
