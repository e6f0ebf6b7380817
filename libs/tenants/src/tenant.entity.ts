import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type TenantStatus = 'pending' | 'active' | 'suspended';

/** Settings a tenant carries; validated by TenantSettingsDto on write. */
export interface TenantSettings {
  /** Read by @tessera/mfa: MFA for every user; whether elevated users may use an email code. */
  mfa?: { requiredForAll?: boolean; allowEmailForElevated?: boolean };
  /** Only stricter than the platform minimum (see @tessera/password mergePolicy). */
  passwordPolicy?: { minLength?: number; minScore?: 3 | 4 };
  /** When set, users of this tenant must have an email in one of these domains. */
  allowedEmailDomains?: string[];
  /** Caps on refresh lifetimes (only shorter than the platform's, see @tessera/sessions). */
  session?: { idleHours?: number; absoluteHours?: number };
  /**
   * API rate limits (token buckets) replacing the platform defaults for this tenant: the
   * whole tenant (`perMinute`, `burst`) and each API key / S2S token / OAuth client.
   */
  rateLimit?: { perMinute?: number; burst?: number; credentialPerMinute?: number; credentialBurst?: number };
}

@Entity({ tableName: 'tenants' })
export class Tenant {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'uuid', nullable: true, fieldName: 'parent_id' })
  parentId: string | null = null;

  /** Ancestors then self, maintained by a trigger; read-only here. */
  @Property({ type: 'uuid[]', persist: false, nullable: true })
  path?: string[];

  @Property({ type: 'text' })
  slug!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  status: TenantStatus = 'pending';

  @Property({ type: 'jsonb' })
  settings: TenantSettings = {};

  @Property({ type: 'timestamptz', fieldName: 'created_at', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', fieldName: 'updated_at', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
