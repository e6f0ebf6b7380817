import { Injectable } from '@nestjs/common';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { PasswordHasher } from '@tessera/password';
import { normalizeEmail } from './email';
import { User } from './user.entity';

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
    private readonly preTenant: PreTenantLookup,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * The user when `password` is right and the user is `active` with a password; otherwise
   * null, in about the same time whether or not the email exists (an unknown email, a
   * pending or disabled user and a user without a password all cost one dummy argon2
   * verification). It does not audit, count failures or touch last_login_at: that is login's.
   *
   * The rehash is written with a compare-and-set on the old hash (`where password_hash =
   * <old>`), not inside one transaction with the verification: no pooled connection is held
   * for two argon2 runs, and a password changed meanwhile is never overwritten.
   */
  async verifyPasswordForLogin(emailNormalized: string, password: string): Promise<User | null> {
    const found = await this.preTenant.userByEmail(normalizeEmail(emailNormalized));
    const user = found
      ? await this.db.withTenant(found.tenantId, (em) => em.findOne(User, { id: found.id }))
      : null;
    if (!user || user.status !== 'active' || !user.passwordHash) {
      await this.hasher.verifyDummy(password);
      return null;
    }
    const { ok, needsRehash } = await this.hasher.verify(user.passwordHash, password);
    if (!ok) return null;
    if (needsRehash) {
      const upgraded = await this.hasher.hash(password);
      const oldHash = user.passwordHash;
      const rows = await this.db.withTenant(user.tenantId, (em) =>
        em.execute<{ id: string }[]>(
          'update users set password_hash = ? where id = ? and password_hash = ? returning id',
          [upgraded, user.id, oldHash],
        ),
      );
      if (rows.length) user.passwordHash = upgraded;
    }
    return user;
  }
}
