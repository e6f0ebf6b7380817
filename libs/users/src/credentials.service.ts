import { Injectable } from '@nestjs/common';
import { TenantDb } from '@tessera/database';
import { PasswordHasher } from '@tessera/password';
import { normalizeEmail } from './email';

/** An active user whose password was just verified, with what login decides next from. */
export interface LoginAccount {
  id: string;
  tenantId: string;
  status: 'active';
  /** The stored hash after the check (the upgraded one if it was just rehashed). */
  passwordHash: string;
  tenantStatus: string;
  tenantSlug: string;
}

/** The result of a login's password check: who the email belongs to, and the user if the password is right. */
export interface PasswordCheck {
  /** Whose address it is (null: nobody's); for the failure's audit row and lock mail. */
  known: { id: string; tenantId: string; status: string } | null;
  /** Set only when the user is active, has a password, and the password is right. */
  user: LoginAccount | null;
}

/**
 * The password check that login (Sessions issue) builds on. It answers "is this the
 * password of an active user with this email?" and keeps stored hashes current: a legacy
 * bcrypt hash, or an argon2id hash with older parameters, is replaced by an argon2id hash
 * at the current parameters on the first successful check.
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly db: TenantDb,
    private readonly hasher: PasswordHasher,
  ) {}

  /** The verified user, or null: checkPasswordForLogin without who the address belongs to. */
  async verifyPasswordForLogin(emailNormalized: string, password: string): Promise<LoginAccount | null> {
    return (await this.checkPasswordForLogin(emailNormalized, password)).user;
  }

  /**
   * `user` is set when `password` is right and the user is `active` with a password; the
   * answer comes in about the same time whether or not the email exists (an unknown email, a
   * pending or disabled user and a user without a password all cost one dummy argon2
   * verification). It does not audit, count failures or touch last_login_at: that is login's.
   *
   * One round trip before argon2: login_account() (migration 20261124000090) makes the
   * pre-tenant lookup by email (lookup_user_by_email, the narrow path) and then, under RLS in
   * that user's tenant, reads the hash and the tenant's status and slug; not the lookup, then
   * an entity load in a four-statement transaction.
   *
   * The rehash is written with a compare-and-set on the old hash (`where password_hash =
   * <old>`), not inside one transaction with the verification: no pooled connection is held
   * for two argon2 runs, and a password changed meanwhile is never overwritten.
   */
  async checkPasswordForLogin(emailNormalized: string, password: string): Promise<PasswordCheck> {
    const [row] = await this.db.statement<
      { id: string; tenant_id: string; status: string; password_hash: string | null; tenant_status: string | null; tenant_slug: string | null }[]
    >('select id, tenant_id, status, password_hash, tenant_status, tenant_slug from login_account(?)', [normalizeEmail(emailNormalized)]);
    const known = row ? { id: row.id, tenantId: row.tenant_id, status: row.status } : null;
    if (!row || row.status !== 'active' || !row.password_hash || row.tenant_status === null || row.tenant_slug === null) {
      await this.hasher.verifyDummy(password);
      return { known, user: null };
    }
    const { ok, needsRehash } = await this.hasher.verify(row.password_hash, password);
    if (!ok) return { known, user: null };
    const user: LoginAccount = {
      id: row.id,
      tenantId: row.tenant_id,
      status: 'active',
      passwordHash: row.password_hash,
      tenantStatus: row.tenant_status,
      tenantSlug: row.tenant_slug,
    };
    if (needsRehash) {
      const upgraded = await this.hasher.hash(password);
      const rows = await this.db.withTenant(user.tenantId, (em) =>
        em.execute<{ id: string }[]>(
          'update users set password_hash = ? where id = ? and password_hash = ? returning id',
          [upgraded, user.id, user.passwordHash],
        ),
      );
      if (rows.length) user.passwordHash = upgraded;
    }
    return { known, user };
  }
}
