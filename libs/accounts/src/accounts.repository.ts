import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { TenantPasswordPolicy } from '@tessera/password';
import type { AccountTokenPurpose } from '@tessera/account-tokens';

/** What the account flows need to know about a user (never the password hash). */
export interface AccountUser {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  status: 'pending' | 'active' | 'disabled';
  hasPassword: boolean;
  emailVerified: boolean;
}

/** The tenant facts a password check needs: its name (personal data) and its stricter policy. */
export interface TenantPasswordContext {
  tenantName: string;
  policy: TenantPasswordPolicy | null;
}

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  status: AccountUser['status'];
  has_password: boolean;
  email_verified: boolean;
}

const USER_COLUMNS = `id, tenant_id, email, name, status, password_hash is not null as has_password,
  email_verified_at is not null as email_verified`;

function toUser(r: UserRow): AccountUser {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    email: r.email,
    name: r.name,
    status: r.status,
    hasPassword: r.has_password,
    emailVerified: r.email_verified,
  };
}

/** True when `err` is PostgreSQL's unique violation (23505) on the named index. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return !!e && e.code === '23505' && e.constraint === constraint;
}

/**
 * The SQL of the account flows. Every method takes the EntityManager of a TenantDb
 * transaction, so RLS decides what it can see; none opens a transaction of its own.
 */
@Injectable()
export class AccountsRepository {
  /**
   * Inserts a pending tenant under `parentId`. Must run while the transaction's tenant is
   * the parent: the path trigger reads the parent's path as the caller, under RLS, and a
   * transaction set to the new tenant's id cannot see its parent yet.
   */
  async insertPendingTenant(
    em: EntityManager,
    t: { id: string; parentId: string; slug: string; name: string },
  ): Promise<void> {
    await em.execute(
      `insert into tenants (id, parent_id, slug, name, status) values (?, ?, ?, ?, 'pending')`,
      [t.id, t.parentId, t.slug, t.name],
    );
  }

  /**
   * Narrows the current transaction to `tenantId` (transaction-local, like withTenant).
   * Used once, by sign-up, to write the new tenant's own rows after inserting the tenant
   * as its parent, all in one transaction.
   */
  async narrowTo(em: EntityManager, tenantId: string): Promise<void> {
    await em.execute(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
  }

  async insertPendingAdmin(
    em: EntityManager,
    u: {
      id: string;
      tenantId: string;
      email: string;
      emailNormalized: string;
      name: string;
      passwordHash: string;
    },
  ): Promise<void> {
    await em.execute(
      `insert into users (id, tenant_id, email, email_normalized, name, status, role, password_hash, password_changed_at)
       values (?, ?, ?, ?, ?, 'pending', 'tenant_admin', ?, now())`,
      [u.id, u.tenantId, u.email, u.emailNormalized, u.name, u.passwordHash],
    );
  }

  async findUser(em: EntityManager, userId: string): Promise<AccountUser | null> {
    const [row] = await em.execute<UserRow[]>(`select ${USER_COLUMNS} from users where id = ?`, [
      userId,
    ]);
    return row ? toUser(row) : null;
  }

  /**
   * Marks the email verified; a pending user becomes active (a disabled one stays
   * disabled), and so does its tenant if it is still pending (a suspended one stays so).
   */
  async markEmailVerified(
    em: EntityManager,
    ref: { tenantId: string; userId: string },
  ): Promise<{ userActivated: boolean; tenantActivated: boolean }> {
    const [before] = await em.execute<{ status: AccountUser['status'] }[]>(
      `select status from users where id = ? for update`,
      [ref.userId],
    );
    if (!before) return { userActivated: false, tenantActivated: false };
    await em.execute(
      `update users set email_verified_at = coalesce(email_verified_at, now()),
              status = case when status = 'pending' then 'active' else status end,
              updated_at = now()
        where id = ?`,
      [ref.userId],
    );
    const userActivated = before.status === 'pending';
    const tenants = userActivated
      ? await em.execute<{ id: string }[]>(
          `update tenants set status = 'active' where id = ? and status = 'pending' returning id`,
          [ref.tenantId],
        )
      : [];
    return { userActivated, tenantActivated: tenants.length > 0 };
  }

  /** Sets a new password hash on an active user; null when the user is not active (any more). */
  async setPasswordOfActiveUser(
    em: EntityManager,
    userId: string,
    passwordHash: string,
  ): Promise<AccountUser | null> {
    const [row] = await em.execute<UserRow[]>(
      `update users set password_hash = ?, password_changed_at = now(), updated_at = now()
        where id = ? and status = 'active'
        returning ${USER_COLUMNS}`,
      [passwordHash, userId],
    );
    return row ? toUser(row) : null;
  }

  async tenantPasswordContext(
    em: EntityManager,
    tenantId: string,
  ): Promise<TenantPasswordContext | null> {
    const [row] = await em.execute<{ name: string; policy: TenantPasswordPolicy | null }[]>(
      `select name, settings -> 'passwordPolicy' as policy from tenants where id = ?`,
      [tenantId],
    );
    return row ? { tenantName: row.name, policy: row.policy ?? null } : null;
  }

  /** Whether a link token could still be consumed (not used, replaced or expired). */
  async isTokenUsable(em: EntityManager, tokenId: string): Promise<boolean> {
    const [row] = await em.execute<{ usable: boolean }[]>(
      `select used_at is null and superseded_at is null and expires_at > now() as usable
         from account_tokens where id = ?`,
      [tokenId],
    );
    return row?.usable === true;
  }

  /**
   * The database round trips of a real "issue a link" branch (read a user, void its open
   * tokens) for ids that match nothing: run inside a transaction for a random tenant id,
   * which RLS makes see no row. Keeps unknown-address requests about as slow as real ones.
   */
  async comparableWork(em: EntityManager, purpose: AccountTokenPurpose): Promise<void> {
    await this.findUser(em, randomUUID());
    await em.execute(
      `update account_tokens set superseded_at = now()
        where user_id = ? and purpose = ? and used_at is null and superseded_at is null`,
      [randomUUID(), purpose],
    );
  }
}
