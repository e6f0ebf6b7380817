import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditEntry, AuditService } from '@tessera/audit';
import { AccountEvents, Principal, principalAudit } from '@tessera/auth';
import { randomToken, SecretDigest } from '@tessera/crypto';
import { GroupCommit, isUuid, TenantDb } from '@tessera/database';
import { ProblemError, RequestContextStore } from '@tessera/http';
import { AccessTokenService } from './access-token.service';
import { invalidCredentials } from './login.service';
import { Acr, ACCESS_TOKEN_TTL_S, REFRESH_LIFETIMES, REFRESH_REUSE_GRACE_S } from './session-policy';
import { TokenCache } from './token-cache.service';

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface SessionUser {
  id: string;
  tenantId: string;
}

export interface AuthenticationFacts {
  /** How the person proved who they are, e.g. `password`. */
  method: string;
  amr: string[];
  acr: Acr;
  authTime?: Date;
}

export interface SessionView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  ip: string | null;
  userAgent: string | null;
  method: string;
  amr: string[];
  acr: string;
  expiresAt: Date;
  current: boolean;
}

export const invalidRefreshToken = () =>
  new ProblemError(401, 'invalid-refresh-token', 'Invalid refresh token', 'The refresh token is not valid; log in again.', {}, {
    'WWW-Authenticate': 'Bearer realm="tessera", error="invalid_token"',
  });

const REFRESH_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Rotations per group at most (one statement). */
const ROTATION_GROUP_MAX = 200;

/** One refresh in a group: presented token's digest, successor's digest, audit context. */
interface RotationItem {
  d: string;
  n: string;
  c: Record<string, string | null>;
}

/** refresh_rotate_many's row for one item ('unknown': no such token). */
type RotationRow = {
  ord: number;
  outcome: 'ok' | 'reuse' | 'refused' | 'unknown';
  reason: string | null;
  tenant_id: string;
  session_id: string;
  user_id: string;
  amr: string[];
  acr: Acr;
  auth_time: Date;
  expires_in: number;
};

/**
 * Sessions and their tokens. PostgreSQL holds sessions and refresh tokens (stored as HMAC
 * digests); the token cache holds live access-token hashes. Refresh tokens rotate on
 * every use; presenting a consumed one revokes the whole session.
 */
@Injectable()
export class SessionService implements OnModuleInit {
  /**
   * Refresh rotations, group-committed: the refreshes that arrive while a group is being
   * written go together in the next one — one statement on its own (refresh_rotate_many:
   * lookup by digest, then refresh_rotate_item per item, in order, then the group's audit
   * rows), one transaction, one WAL flush.
   */
  private readonly rotations = new GroupCommit<RotationItem, RotationRow>(
    (items) =>
      this.db.statement<RotationRow[]>('select * from refresh_rotate_many(cast(? as jsonb), ?) order by ord', [JSON.stringify(items), REFRESH_REUSE_GRACE_S]),
    ROTATION_GROUP_MAX,
  );

  constructor(
    private readonly db: TenantDb,
    private readonly digest: SecretDigest,
    private readonly tokens: AccessTokenService,
    private readonly cache: TokenCache,
    private readonly audit: AuditService,
    private readonly events: AccountEvents,
  ) {}

  onModuleInit(): void {
    // Credential, status and privilege changes end sessions, on every instance. Every event
    // type is named here: a new one must say whether it revokes (the compiler insists).
    this.events.subscribe(async (e) => {
      switch (e.type) {
        case 'tenant.suspended':
          await this.revokeTenantSessions(e.tenantId, 'tenant_suspended');
          return;
        case 'user.password_changed':
          await this.revokeUserSessions(e.tenantId, e.userId, `password_${e.reason}`);
          return;
        case 'user.disabled':
        case 'user.deleted':
        case 'user.elevated':
          await this.revokeUserSessions(e.tenantId, e.userId, e.type.replace('user.', 'user_'));
          return;
        case 'user.profile_changed':
        case 'tenant.profile_changed':
          return; // display data only (ProfileCache drops it)
        default: {
          const unhandled: never = e;
          throw new Error(`unhandled account event ${JSON.stringify(unhandled)}`);
        }
      }
    });
  }

  /**
   * Starts a session after a successful authentication and returns its first token pair.
   * One round trip: session_start() (migration 20261124000090) checks that the user and its
   * tenant are still active, applies the tenant's shorter lifetimes if any, and writes the
   * session, its refresh token, users.last_login_at and the audit row in one statement's
   * transaction. A user disabled or a tenant suspended since the credential was checked gets
   * the generic 401 (and a failure audit row), never a session.
   */
  async start(user: SessionUser, auth: AuthenticationFacts): Promise<TokenPair & { sessionId: string }> {
    if (!isUuid(user.tenantId) || !isUuid(user.id)) throw ProblemError.notFound();
    const ctx = RequestContextStore.current();
    const authTime = auth.authTime ?? new Date();
    const refresh = randomToken(32);
    // Chosen here so the audit row can name it; gen_random_uuid() would be no less random.
    const sessionId = randomUUID();
    const base = REFRESH_LIFETIMES[auth.acr];
    const audit = this.audit.payload({
      action: 'auth.login',
      outcome: 'success',
      tenantId: user.tenantId,
      actor: { type: 'user', id: user.id },
      credential: { type: 'password' },
      target: { type: 'session', id: sessionId },
      params: { method: auth.method, amr: auth.amr, acr: auth.acr },
    });
    const [row] = await this.db.statement<{ outcome: 'ok' | 'refused'; refresh_expires_in: number | null }[]>(
      'select outcome, refresh_expires_in from session_start(?, ?, ?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?, cast(? as jsonb))',
      [
        user.tenantId,
        user.id,
        sessionId,
        ctx?.ip ?? null,
        ctx?.userAgent ?? null,
        auth.method,
        `{${auth.amr.join(',')}}`,
        auth.acr,
        authTime,
        base.idleS,
        base.absoluteS,
        this.digest.digest(refresh),
        audit,
      ],
    );
    if (row?.outcome !== 'ok' || row.refresh_expires_in === null) throw invalidCredentials();
    const access = await this.mintAccessToken(user, sessionId, auth.amr, auth.acr, Math.floor(authTime.getTime() / 1000));
    return { ...access, refresh_token: refresh, refresh_expires_in: row.refresh_expires_in, sessionId };
  }

  /**
   * Re-authentication inside a live session (step-up, RFC 9470): the session's auth_time,
   * amr and acr become those just proven, so the new access token and every later refresh
   * carry them; its lifetimes are not extended. `audit` is written in the same transaction.
   * Returns a fresh access token; false-y session (revoked, expired, another user's) → 401.
   */
  async reauthenticate(
    user: SessionUser,
    sessionId: string,
    auth: Omit<AuthenticationFacts, 'method'>,
    audit: AuditEntry,
  ): Promise<Omit<TokenPair, 'refresh_token' | 'refresh_expires_in'>> {
    const authTime = auth.authTime ?? new Date();
    const updated = await this.db.withTenant(user.tenantId, async (em) => {
      const rows = await em.execute<{ id: string }[]>(
        `update sessions set auth_time = ?, amr = ?::text[], acr = ?
          where id = ? and user_id = ? and revoked_at is null and idle_expires_at > now() and absolute_expires_at > now()
          returning id`,
        [authTime, `{${auth.amr.join(',')}}`, auth.acr, sessionId, user.id],
      );
      if (rows.length) await this.audit.record(audit, em);
      return rows.length > 0;
    });
    if (!updated) throw ProblemError.unauthorized('The session has ended; log in again.', 'Bearer realm="tessera", error="invalid_token"', 'invalid-token');
    return this.mintAccessToken(user, sessionId, auth.amr, auth.acr, Math.floor(authTime.getTime() / 1000));
  }

  /**
   * Rotates a refresh token. Exactly one concurrent caller wins the conditional UPDATE; a
   * token consumed more than REFRESH_REUSE_GRACE_S ago is reuse: the session is revoked.
   * Concurrent refreshes are group-committed (see `rotations`): one statement rotates them
   * all, each with its own outcome and audit row.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    if (typeof refreshToken !== 'string' || !REFRESH_SHAPE.test(refreshToken)) throw invalidRefreshToken();
    const next = randomToken(32);
    const row = await this.rotations.submit('', {
      d: this.digest.digest(refreshToken),
      n: this.digest.digest(next),
      c: this.audit.requestFacts(),
    });
    if (row.outcome === 'reuse') {
      await this.cache.forgetSessions([row.session_id]);
      throw invalidRefreshToken();
    }
    if (row.outcome !== 'ok') throw invalidRefreshToken();
    const access = await this.mintAccessToken(
      { id: row.user_id, tenantId: row.tenant_id },
      row.session_id,
      row.amr,
      row.acr,
      Math.floor(new Date(row.auth_time).getTime() / 1000),
    );
    return { ...access, refresh_token: next, refresh_expires_in: row.expires_in };
  }

  async list(tenantId: string, userId: string, currentSessionId?: string): Promise<SessionView[]> {
    return this.db.withTenant(tenantId, async (em) => {
      const rows = await em.execute<
        { id: string; created_at: Date; last_used_at: Date; ip: string | null; user_agent: string | null; method: string; amr: string[]; acr: string; expires_at: Date }[]
      >(
        `select id, created_at, last_used_at, host(ip) as ip, user_agent, method, amr, acr,
                least(absolute_expires_at, idle_expires_at) as expires_at
           from sessions where user_id = ? and revoked_at is null and absolute_expires_at > now() and idle_expires_at > now()
          order by created_at desc`,
        [userId],
      );
      return rows.map((r) => ({
        id: r.id,
        createdAt: r.created_at,
        lastUsedAt: r.last_used_at,
        ip: r.ip,
        userAgent: r.user_agent,
        method: r.method,
        amr: r.amr,
        acr: r.acr,
        expiresAt: r.expires_at,
        current: r.id === currentSessionId,
      }));
    });
  }

  /** Ends one session of a user. False when it does not exist (or is another user's). */
  async revokeSession(tenantId: string, userId: string, sessionId: string, reason: string, audit: { action: string; by: Principal }): Promise<boolean> {
    const ids = await this.revokeAndForget(tenantId, { sessionId, userId }, reason, (revoked) =>
      revoked.length
        ? { action: audit.action, outcome: 'success', tenantId, ...principalAudit(audit.by), target: { type: 'session', id: sessionId }, params: { userId }, reason }
        : null,
    );
    return ids.length > 0;
  }

  /** Ends every session of a user (logout everywhere, credential change, disable, admin termination). */
  async revokeUserSessions(tenantId: string, userId: string, reason: string, audit?: { action: string; by: Principal }): Promise<number> {
    const ids = await this.revokeAndForget(tenantId, { userId }, reason, (revoked) => ({
      action: audit?.action ?? 'session.revoke_all',
      outcome: 'success',
      tenantId,
      ...(audit ? principalAudit(audit.by) : { actor: { type: 'system' as const } }),
      target: { type: 'user', id: userId },
      params: { sessions: revoked.length },
      reason,
    }));
    await this.cache.forgetUser(userId);
    return ids.length;
  }

  /**
   * Ends every session of a user but one (the caller's, after it changed its second factors).
   * Only the revoked sessions' access tokens are forgotten: the kept one goes on working.
   */
  async revokeOtherSessions(tenantId: string, userId: string, keepSessionId: string, reason: string, audit: { action: string; by: Principal }): Promise<number> {
    const ids = await this.revokeAndForget(tenantId, { userId, exceptSessionId: keepSessionId }, reason, (revoked) => ({
      action: audit.action,
      outcome: 'success',
      tenantId,
      ...principalAudit(audit.by),
      target: { type: 'user', id: userId },
      params: { sessions: revoked.length, kept: keepSessionId },
      reason,
    }));
    return ids.length;
  }

  /** Ends every session in a tenant (suspension). */
  async revokeTenantSessions(tenantId: string, reason: string): Promise<number> {
    const ids = await this.revokeAndForget(tenantId, {}, reason, (revoked) => ({
      action: 'session.revoke_all',
      outcome: 'success',
      tenantId,
      actor: { type: 'system' },
      target: { type: 'tenant', id: tenantId },
      params: { sessions: revoked.length },
      reason,
    }));
    return ids.length;
  }

  /**
   * Revokes matching sessions and audits it in one transaction, then forgets their access
   * tokens (after the commit, so no instance can re-cache a token of a revoked session).
   */
  private async revokeAndForget(
    tenantId: string,
    where: { sessionId?: string; userId?: string; exceptSessionId?: string },
    reason: string,
    auditFor: (revoked: string[]) => AuditEntry | null,
  ): Promise<string[]> {
    const ids = await this.db.withTenant(tenantId, async (em) => {
      const revoked = await this.revokeInTx(em, where, reason);
      const entry = auditFor(revoked);
      if (entry) await this.audit.record(entry, em);
      return revoked;
    });
    await this.cache.forgetSessions(ids);
    return ids;
  }

  private async revokeInTx(em: EntityManager, where: { sessionId?: string; userId?: string; exceptSessionId?: string }, reason: string): Promise<string[]> {
    const conds: string[] = ['revoked_at is null'];
    const params: unknown[] = [reason];
    if (where.sessionId) {
      conds.push('id = ?');
      params.push(where.sessionId);
    }
    if (where.userId) {
      conds.push('user_id = ?');
      params.push(where.userId);
    }
    if (where.exceptSessionId) {
      conds.push('id <> ?');
      params.push(where.exceptSessionId);
    }
    const rows = await em.execute<{ id: string }[]>(
      `update sessions set revoked_at = now(), revoked_reason = ? where ${conds.join(' and ')} returning id`,
      params,
    );
    return rows.map((r) => r.id);
  }

  private async mintAccessToken(user: SessionUser, sessionId: string, amr: string[], acr: string, authTime: number) {
    const { token, jti, expiresIn } = await this.tokens.issue({ sub: user.id, tid: user.tenantId, sid: sessionId, amr, acr, auth_time: authTime });
    // A revocation that committed after our transaction found no hash to delete, but left
    // its tombstone: the write is refused atomically (TokenCache.rememberForSession).
    const indexed = await this.cache.rememberForSession(token, { uid: user.id, tid: user.tenantId, sid: sessionId, amr, acr, authTime, jti }, ACCESS_TOKEN_TTL_S * 1000);
    if (!indexed) throw invalidRefreshToken();
    return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn };
  }
}
