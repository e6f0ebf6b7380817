import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { GeneralRole } from '@tessera/auth';

export type UserStatus = 'pending' | 'active' | 'disabled';

@Entity({ tableName: 'users' })
export class User {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'uuid', fieldName: 'tenant_id' })
  tenantId!: string;

  /** As entered, NFKC-normalised and trimmed; used for mail. */
  @Property({ type: 'text' })
  email!: string;

  /** lower(NFKC(email)): the platform-wide unique key. */
  @Property({ type: 'text', fieldName: 'email_normalized' })
  emailNormalized!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  status: UserStatus = 'pending';

  @Property({ type: 'text' })
  role: GeneralRole = 'member';

  /** argon2id (or a legacy bcrypt hash until the first login upgrades it); null = no password. */
  @Property({ type: 'text', fieldName: 'password_hash', nullable: true, hidden: true })
  passwordHash: string | null = null;

  @Property({ type: 'timestamptz', fieldName: 'password_changed_at', nullable: true })
  passwordChangedAt: Date | null = null;

  @Property({ type: 'timestamptz', fieldName: 'email_verified_at', nullable: true })
  emailVerifiedAt: Date | null = null;

  @Property({ type: 'timestamptz', fieldName: 'last_login_at', nullable: true })
  lastLoginAt: Date | null = null;

  @Property({ type: 'timestamptz', fieldName: 'created_at', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', fieldName: 'updated_at', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
