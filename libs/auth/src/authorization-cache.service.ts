import { Inject, Injectable } from '@nestjs/common';
import { PreTenantLookup } from '@tessera/database';
import { ABSENT, KeyValueStore, KV_STORE, VersionedCache } from '@tessera/store';
import {
  BUILTIN_TASK_ROLES,
  GENERAL_ROLE_PERMISSIONS,
  isBuiltinTaskRole,
  isPermission,
  Permission,
  tierOf,
} from './permissions';
import { GeneralRole, isGeneralRole } from './roles';

/** What the permission guard knows about a user: enough to decide without PostgreSQL. */
export interface UserAuthz {
  version: number;
  role: GeneralRole;
  status: string;
  /** Task role names (built-in and custom). */
  taskRoles: string[];
  permissions: ReadonlySet<Permission>;
}

interface Stored {
  r: GeneralRole;
  s: string;
  t: string[];
  c: string[];
}

/** Entries and tombstones outlive every access token (15 min) so no stale reader outlives them. */
const TTL_MS = 30 * 60_000;

export function effectivePermissions(
  role: GeneralRole,
  taskRoles: readonly string[],
  customPermissions: readonly string[],
): Set<Permission> {
  const out = new Set<Permission>(GENERAL_ROLE_PERMISSIONS[role]);
  for (const t of taskRoles)
    if (isBuiltinTaskRole(t)) for (const p of BUILTIN_TASK_ROLES[t].permissions) out.add(p);
  // Custom roles never carry tier 4 (refused when defined; filtered here as well).
  for (const p of customPermissions) if (isPermission(p) && tierOf(p) < 4) out.add(p);
  return out;
}

/**
 * Per-user authorization in the shared store (`authz:<userId>`), so the guard adds no
 * database round trip: the JWT authenticator reads it in the same round trip as the token
 * hash. PostgreSQL is the source of truth; every change bumps `users.authz_version` and,
 * inside the same transaction, writes a tombstone of the new version here (invalidate), so
 * the next request anywhere reloads — and a reader that loaded older data can never write
 * it back over the tombstone (versioned write, `setIfNewer`).
 */
@Injectable()
export class AuthorizationCache {
  private readonly cache: VersionedCache<Stored, UserAuthz>;

  constructor(
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    private readonly lookup: PreTenantLookup,
  ) {
    this.cache = new VersionedCache<Stored, UserAuthz>(store, 'authz:', TTL_MS, (s, version) =>
      isGeneralRole(s.r) ? { version, role: s.r, status: s.s, taskRoles: s.t, permissions: effectivePermissions(s.r, s.t, s.c) } : null,
    );
  }

  key(userId: string): string {
    return this.cache.key(userId);
  }

  /** A raw cache value → authz, or null when missing or invalidated. */
  parse(raw: string | null): UserAuthz | null {
    const authz = this.cache.parse(raw);
    return authz === ABSENT ? null : authz;
  }

  /** From PostgreSQL, then offered to the cache (kept only if nothing newer is there). */
  async load(userId: string, tenantId: string): Promise<UserAuthz | null> {
    const row = await this.lookup.userAuthz(userId, tenantId);
    if (!row || !isGeneralRole(row.role)) return null;
    const version = Number(row.version);
    await this.cache.offer(userId, version, { r: row.role, s: row.status, t: row.task_roles, c: row.custom_permissions });
    return {
      version,
      role: row.role,
      status: row.status,
      taskRoles: row.task_roles,
      permissions: effectivePermissions(row.role, row.task_roles, row.custom_permissions),
    };
  }

  /** Cached, else loaded. */
  async forUser(userId: string, tenantId: string): Promise<UserAuthz | null> {
    return this.parse(await this.store.get(this.key(userId))) ?? this.load(userId, tenantId);
  }

  /**
   * Call inside the transaction that bumped the versions, before it commits: readers
   * between now and the commit still load the old data (correct: it is not committed) but
   * cannot cache it; the first reader after the commit caches the new version. If the
   * store is down the change fails with it (503), so no change goes unannounced.
   */
  async invalidate(changes: { userId: string; version: number | string }[]): Promise<void> {
    for (const c of changes) await this.cache.invalidate(c.userId, c.version);
  }
}
