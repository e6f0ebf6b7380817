import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AccountEvents } from '@tessera/auth';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { KeyValueStore, KV_STORE, takeReadAhead } from '@tessera/store';

export interface UserProfile {
  id: string;
  email: string;
  name: string;
  status: string;
  emailVerified: boolean;
}

export interface TenantProfile {
  id: string;
  slug: string;
  name: string;
}

/**
 * Display data for `GET /v1/me` from the shared store, so the most frequent authenticated
 * call reads no PostgreSQL: `prof:<user>` and `tprof:<tenant>` in one MGET, filled from
 * `session_profile` on a miss. Nothing here decides access — status, role and permissions
 * come from the authorization cache, which is versioned — so the entries live 60 s and are
 * dropped by the `user.profile_changed` / `tenant.profile_changed` events after a rename or
 * an email verification; 60 s bounds how stale a name can be if an event is ever lost.
 * A route that shows the profile declares `@ReadAhead(ProfileCache.keysOf)`, so the MGET
 * rides on the API bucket script instead of a round trip of its own.
 */
@Injectable()
export class ProfileCache implements OnModuleInit {
  static readonly TTL_MS = 60_000;

  constructor(
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    private readonly lookup: PreTenantLookup,
    private readonly db: TenantDb,
    private readonly events: AccountEvents,
  ) {}

  onModuleInit(): void {
    this.events.subscribe(async (e) => {
      if (e.type === 'user.profile_changed') await this.store.del(`prof:${e.userId}`);
      else if (e.type === 'tenant.profile_changed') await this.store.del(`tprof:${e.tenantId}`);
    });
  }

  /** The store keys `get` reads for a caller (for `@ReadAhead`). */
  static keysOf(this: void, caller: { userId: string | null; tenantId: string }): string[] {
    return caller.userId ? [`prof:${caller.userId}`, `tprof:${caller.tenantId}`] : [`tprof:${caller.tenantId}`];
  }

  /** The user (when there is one) and the tenant; null when the user is gone. */
  async get(userId: string | null, tenantId: string): Promise<{ user: UserProfile | null; tenant: TenantProfile } | null> {
    const keys = ProfileCache.keysOf({ userId, tenantId });
    const raw = takeReadAhead(keys) ?? (await this.store.getMany(keys));
    if (!userId) return raw[0] ? { user: null, tenant: JSON.parse(raw[0]) as TenantProfile } : this.load(null, tenantId);
    const [rawUser, rawTenant] = raw;
    if (rawUser && rawTenant) return { user: JSON.parse(rawUser) as UserProfile, tenant: JSON.parse(rawTenant) as TenantProfile };
    return this.load(userId, tenantId);
  }

  private async load(userId: string | null, tenantId: string) {
    let user: UserProfile | null = null;
    let tenant: TenantProfile | null;
    if (userId) {
      const row = await this.lookup.sessionProfile(userId, tenantId);
      if (!row) return null;
      user = { id: row.id, email: row.email, name: row.name, status: row.status, emailVerified: row.verified };
      tenant = { id: row.tid, slug: row.slug, name: row.tname };
    } else {
      const rows = await this.db.withTenant(tenantId, (em) =>
        em.execute<TenantProfile[]>('select id, slug, name from tenants where id = ?', [tenantId]),
      );
      tenant = rows[0] ?? null;
      if (!tenant) return null;
    }
    await this.store.writeBatch([
      ...(user ? [{ kind: 'set' as const, key: `prof:${user.id}`, value: JSON.stringify(user), ttlMs: ProfileCache.TTL_MS }] : []),
      { kind: 'set' as const, key: `tprof:${tenant.id}`, value: JSON.stringify({ id: tenant.id, slug: tenant.slug, name: tenant.name }), ttlMs: ProfileCache.TTL_MS },
    ]);
    return { user, tenant };
  }
}
