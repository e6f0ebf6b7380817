import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { AccountEvents, AuthorizationCache, GeneralRole } from '@tessera/auth';
import { decodeKeysetCursor, encodeKeysetCursor, PreTenantLookup, TenantDb } from '@tessera/database';
import { USER_LIST_DEFAULT_LIMIT, USER_LIST_MAX_LIMIT } from './dto/list-users.query';
import { normalizeEmail } from './email';
import { User, UserStatus } from './user.entity';
import { UserAccess } from './user-access.service';
import { UsersErrors } from './users.errors';
import { auditActor, UsersActor } from './users-actor';

export interface UserListQuery {
  /** `?tenantId=`: default the caller's own tenant. */
  tenantId?: string;
  status?: UserStatus;
  role?: GeneralRole;
  emailPrefix?: string;
  cursor?: string;
  limit?: number;
}

export interface UserPage {
  items: User[];
  nextCursor: string | null;
}

type UserAction = 'user.update' | 'user.disable' | 'user.enable' | 'user.delete';

function encodeCursor(createdAt: string, id: string): string {
  return encodeKeysetCursor(createdAt, id);
}

function decodeCursor(cursor: string): [string, string] {
  const decoded = decodeKeysetCursor(cursor);
  if (!decoded) throw UsersErrors.invalidCursor();
  return decoded;
}

/** LIKE pattern for a literal prefix: `%`, `_` and the escape character itself match only themselves. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * The admin side of users: read, list, rename, disable, enable, delete. Every method takes
 * the actor (API caller or CLI operator), resolves the tenant it may act in, and works in
 * one TenantDb transaction whose audit row commits with the change. Events that revoke
 * credentials are published after the commit.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly db: TenantDb,
    private readonly access: UserAccess,
    private readonly preTenant: PreTenantLookup,
    private readonly audit: AuditService,
    private readonly events: AccountEvents,
    private readonly authz: AuthorizationCache,
  ) {}

  async get(actor: UsersActor, userId: string): Promise<User> {
    const tenantId = await this.access.tenantOfUser(actor, userId);
    return this.db.withTenant(tenantId, async (em) => {
      const user = await em.findOne(User, { id: userId });
      if (!user) throw UsersErrors.notFound();
      return user;
    });
  }

  async list(actor: UsersActor, query: UserListQuery): Promise<UserPage> {
    const tenantId = await this.access.tenantFor(actor, query.tenantId);
    const limit = Math.min(
      Math.max(query.limit ?? USER_LIST_DEFAULT_LIMIT, 1),
      USER_LIST_MAX_LIMIT,
    );
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.role) {
      where.push('role = ?');
      params.push(query.role);
    }
    if (query.emailPrefix) {
      where.push(`email_normalized like ? escape '\\'`);
      params.push(likePrefix(normalizeEmail(query.emailPrefix)));
    }
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor);
      where.push('(created_at, id) > (cast(? as timestamptz), cast(? as uuid))');
      params.push(createdAt, id);
    }
    params.push(limit + 1);
    return this.db.withTenant(tenantId, async (em) => {
      const rows = await em.execute<
        (Record<string, unknown> & { cursor_at: string; id: string })[]
      >(
        `select id, tenant_id, email, email_normalized, name, status, role, password_changed_at, email_verified_at,
                last_login_at, created_at, updated_at,
                to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
           from users where ${where.join(' and ')}
          order by created_at, id limit ?`,
        params,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(({ cursor_at: _cursor, ...row }) => em.map(User, row)),
        nextCursor: rows.length > limit && last ? encodeCursor(last.cursor_at, last.id) : null,
      };
    });
  }

  /** Renames a user (the only profile field admins change here; roles move through RBAC). */
  async updateName(actor: UsersActor, userId: string, name: string): Promise<User> {
    const tenantId = await this.access.tenantOfUser(actor, userId);
    const user = await this.refusalsAudited(actor, tenantId, 'user.update', userId, () =>
      this.db.withTenant(tenantId, async (em) => {
        const user = await this.load(em, userId);
        this.access.assertMayManage(actor, user);
        if (user.name !== name) {
          user.name = name;
          await em.flush();
          await this.record(em, actor, 'user.update', user, { fields: ['name'] });
        }
        return user;
      }),
    );
    await this.events.publish({ type: 'user.profile_changed', tenantId, userId });
    return user;
  }

  /**
   * Disables a user: it can no longer authenticate, its outstanding one-time links die, and
   * `user.disabled` is published so sessions are revoked. Disabling a disabled user changes
   * nothing but publishes the event again (a retry when revocation failed the first time).
   */
  async disable(actor: UsersActor, userId: string): Promise<User> {
    const tenantId = await this.access.tenantOfUser(actor, userId);
    const user = await this.refusalsAudited(actor, tenantId, 'user.disable', userId, () =>
      this.db.withTenant(tenantId, async (em) => {
        const user = await this.load(em, userId);
        this.access.assertNotSelf(actor, user);
        this.access.assertMayManage(actor, user);
        if (user.status === 'disabled') return user;
        await this.access.assertNotLastAdmin(em, actor, user);
        const previous = user.status;
        user.status = 'disabled';
        await em.flush();
        await this.bumpAuthz(em, user.id);
        await this.voidLinks(em, user.id);
        await this.record(em, actor, 'user.disable', user, { previousStatus: previous });
        return user;
      }),
    );
    await this.events.publish({ type: 'user.disabled', tenantId, userId: user.id });
    return user;
  }

  /** CLI: `users disable --email`. */
  async disableByEmail(actor: UsersActor, email: string): Promise<User> {
    const found = await this.preTenant.userByEmail(normalizeEmail(email));
    if (!found) throw UsersErrors.notFound();
    return this.disable(actor, found.id);
  }

  /**
   * Re-enables a disabled user: back to `active` if it has a password, else to `pending`
   * (it never activated; send it a new invitation). Other states are left as they are.
   */
  async enable(actor: UsersActor, userId: string): Promise<User> {
    const tenantId = await this.access.tenantOfUser(actor, userId);
    return this.refusalsAudited(actor, tenantId, 'user.enable', userId, () =>
      this.db.withTenant(tenantId, async (em) => {
        const user = await this.load(em, userId);
        this.access.assertMayManage(actor, user);
        if (user.status !== 'disabled') return user;
        user.status = user.passwordHash ? 'active' : 'pending';
        await em.flush();
        await this.bumpAuthz(em, user.id);
        await this.record(em, actor, 'user.enable', user, { status: user.status });
        return user;
      }),
    );
  }

  /**
   * Deletes the user row (its one-time links go with it, by foreign key). The audit row keeps
   * who it was. `user.deleted` is published after the commit.
   */
  async delete(actor: UsersActor, userId: string): Promise<void> {
    const tenantId = await this.access.tenantOfUser(actor, userId);
    await this.refusalsAudited(actor, tenantId, 'user.delete', userId, () =>
      this.db.withTenant(tenantId, async (em) => {
        const user = await this.load(em, userId);
        this.access.assertNotSelf(actor, user);
        this.access.assertMayManage(actor, user);
        await this.access.assertNotLastAdmin(em, actor, user);
        await this.record(em, actor, 'user.delete', user, {
          email: user.email,
          role: user.role,
          status: user.status,
        });
        await this.bumpAuthz(em, user.id);
        await em.execute('delete from users where id = ?', [user.id]);
      }),
    );
    await this.events.publish({ type: 'user.deleted', tenantId, userId });
  }

  /**
   * A status change must reach every cached authorization at once: delegated credentials
   * (API keys, OAuth client tokens) are checked against the owner's cached status on every
   * request, not only against revoked sessions.
   */
  private async bumpAuthz(em: EntityManager, userId: string): Promise<void> {
    const [row] = await em.execute<{ authz_version: string }[]>(
      'update users set authz_version = authz_version + 1 where id = ? returning authz_version',
      [userId],
    );
    if (row) await this.authz.invalidate([{ userId, version: row.authz_version }]);
  }

  private async load(em: EntityManager, userId: string): Promise<User> {
    const user = await em.findOne(User, { id: userId });
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  /** A disabled user's pending invitation, verification or reset links must not work later. */
  private async voidLinks(em: EntityManager, userId: string): Promise<void> {
    await em.execute(
      `update account_tokens set superseded_at = now() where user_id = ? and used_at is null and superseded_at is null`,
      [userId],
    );
  }

  private record(
    em: EntityManager,
    actor: UsersActor,
    action: UserAction,
    user: User,
    params: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(
      {
        action,
        outcome: 'success',
        tenantId: user.tenantId,
        ...auditActor(actor),
        target: { type: 'user', id: user.id },
        riskTier: 2,
        params,
      },
      em,
    );
  }

  private refusalsAudited<T>(actor: UsersActor, tenantId: string, action: UserAction, userId: string, fn: () => Promise<T>): Promise<T> {
    return this.audit.refusalsAudited({ action, tenantId, ...auditActor(actor), target: { type: 'user', id: userId }, riskTier: 2 }, fn);
  }

}
