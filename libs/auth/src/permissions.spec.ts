import { ALL_PERMISSIONS, BUILTIN_TASK_ROLES, delegatedPermissions, delegatedPermissionsOf, GENERAL_ROLE_PERMISSIONS, PERMISSIONS, tierOf } from './permissions';

describe('permission registry', () => {
  it('names every permission resource:action with a tier 1–4 and a description', () => {
    for (const p of ALL_PERMISSIONS) {
      expect(p).toMatch(/^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/);
      expect([1, 2, 3, 4]).toContain(PERMISSIONS[p].tier);
      expect(PERMISSIONS[p].description.length).toBeGreaterThan(10);
    }
  });

  it('role and task-role permission sets only name registry permissions', () => {
    for (const set of [...Object.values(GENERAL_ROLE_PERMISSIONS), ...Object.values(BUILTIN_TASK_ROLES).map((r) => r.permissions)]) {
      for (const p of set) expect(ALL_PERMISSIONS).toContain(p);
    }
  });

  describe('delegated credentials: owner permissions ∩ scopes, never tier 4', () => {
    const owner = GENERAL_ROLE_PERMISSIONS.system_admin;

    it('tier scopes stand for every permission up to their tier', () => {
      const read = delegatedPermissions(owner, ['read']);
      expect([...read].every((p) => tierOf(p) === 1)).toBe(true);
      expect(read.has('users:read')).toBe(true);
      const write = delegatedPermissions(owner, ['ai:write']);
      expect(write.has('users:update')).toBe(true);
      expect(write.has('users:disable')).toBe(false);
      const exec = delegatedPermissions(owner, ['execute']);
      expect(exec.has('users:disable')).toBe(true);
    });

    it('never grants tier 4, even when named explicitly or through execute', () => {
      const all = delegatedPermissions(owner, ['execute', 'tenants:delete', 'signing_keys:rotate', 'roles:assign_system_admin']);
      expect([...all].some((p) => tierOf(p) === 4)).toBe(false);
    });

    it('never exceeds the owner: a member key with execute scope is still a member', () => {
      const member = delegatedPermissions(GENERAL_ROLE_PERMISSIONS.member, ['execute', 'users:delete']);
      expect([...member].sort()).toEqual([...GENERAL_ROLE_PERMISSIONS.member].sort());
    });

    it('explicit permission scopes grant exactly those; unknown scopes grant nothing', () => {
      expect([...delegatedPermissions(owner, ['users:read', 'audit:export'])].sort()).toEqual(['audit:export', 'users:read']);
      expect(delegatedPermissions(owner, ['admin', '*', 'users:*']).size).toBe(0);
    });

    it('delegatedPermissionsOf: the same answer, worked out once per owner set and scopes', () => {
      const ownerSet = new Set(owner);
      for (const scopes of [['read'], ['execute', 'tenants:delete'], ['users:read', 'audit:export'], []]) {
        const once = delegatedPermissionsOf(ownerSet, scopes);
        expect([...once].sort()).toEqual([...delegatedPermissions(ownerSet, scopes)].sort());
        expect(delegatedPermissionsOf(ownerSet, [...scopes])).toBe(once);
        expect([...once].some((p) => tierOf(p) === 4)).toBe(false);
      }
      // Another owner set (a role change: a new cached authorization) is worked out anew.
      const member = new Set(GENERAL_ROLE_PERMISSIONS.member);
      expect([...delegatedPermissionsOf(member, ['execute'])].sort()).toEqual([...member].sort());
      expect(delegatedPermissionsOf(ownerSet, ['read'])).not.toBe(delegatedPermissionsOf(member, ['read']));
    });
  });
});
