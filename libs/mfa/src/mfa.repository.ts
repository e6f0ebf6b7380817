import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { isUuid, TenantDb } from '@tessera/database';
import { PENDING_TOTP_TTL_S } from './mfa-policy';

/** A user as MFA sees it: identity, role, tenant settings and the state of its factors. */
export interface MfaAccount {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  status: string;
  role: string;
  emailVerified: boolean;
  passwordHash: string | null;
  tenantStatus: string;
  settings: { mfa?: { requiredForAll?: boolean; allowEmailForElevated?: boolean } };
  totp: 'none' | 'pending' | 'active';
  totpConfirmedAt: Date | null;
  recoveryCodesLeft: number;
}

export interface TotpRow {
  secret_enc: string;
  status: 'pending' | 'active';
  created_at: Date;
  last_used_step: string | null;
}

export interface ChallengeRow {
  id: string;
  tenant_id: string;
  user_id: string;
  purpose: 'login' | 'enroll' | 'step_up';
  session_id: string | null;
  methods: string[];
  expires_at: Date;
  consumed_at: Date | null;
  attempts: number;
  email_code_enc: string | null;
  email_code_expires_at: Date | null;
  email_sends: number;
}

type AccountRow = {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  status: string;
  role: string;
  email_verified_at: Date | string | null;
  password_hash: string | null;
  tstatus: string;
  settings: MfaAccount['settings'] | null;
  totp_status: 'pending' | 'active' | null;
  totp_created_at: Date | string | null;
  totp_confirmed_at: Date | string | null;
  recovery_left: number;
};

/** Raw statements hand back timestamps as the driver parsed them (a string here): one shape out. */
const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function challengeRow(r: ChallengeRow | undefined): ChallengeRow | null {
  if (!r) return null;
  return {
    ...r,
    expires_at: date(r.expires_at)!,
    consumed_at: date(r.consumed_at),
    email_code_expires_at: date(r.email_code_expires_at),
  };
}

const CHALLENGE_COLUMNS = `id, tenant_id, user_id, purpose, session_id, methods, expires_at, consumed_at, attempts,
  email_code_enc, email_code_expires_at, email_sends`;

/**
 * Every SQL statement of the MFA module, on its three tables (and a read of users and
 * tenants). Methods taking an EntityManager run inside the caller's tenant transaction
 * (TenantDb.withTenant), so RLS applies and the audit row commits with the change.
 */
@Injectable()
export class MfaRepository {
  constructor(private readonly db: TenantDb) {}

  tx<T>(tenantId: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.withTenant(tenantId, fn);
  }

  /**
   * The account through mfa_account() (migration 20261124000090): inside the caller's
   * transaction when `em` is given, otherwise one statement on its own (it enters the tenant
   * for that statement only) — one round trip on every password login instead of four.
   */
  async account(tenantId: string, userId: string, em?: EntityManager): Promise<MfaAccount | null> {
    const sql = `select id, tenant_id, email, name, status, role, email_verified_at, password_hash, tstatus, settings,
                        totp_status, totp_created_at, totp_confirmed_at, recovery_left
                   from mfa_account(?, ?)`;
    if (!isUuid(tenantId) || !isUuid(userId)) return null;
    const [r] = em
      ? await em.execute<AccountRow[]>(sql, [tenantId, userId])
      : await this.db.statement<AccountRow[]>(sql, [tenantId, userId]);
    if (!r) return null;
    // A pending enrolment that was never confirmed in time is as good as none.
    const pendingLive =
      r.totp_status === 'pending' &&
      r.totp_created_at !== null &&
      date(r.totp_created_at)!.getTime() > Date.now() - PENDING_TOTP_TTL_S * 1000;
    return {
      id: r.id,
      tenantId: r.tenant_id,
      email: r.email,
      name: r.name,
      status: r.status,
      role: r.role,
      emailVerified: r.email_verified_at !== null,
      passwordHash: r.password_hash,
      tenantStatus: r.tstatus,
      settings: r.settings ?? {},
      totp: r.totp_status === 'active' ? 'active' : pendingLive ? 'pending' : 'none',
      totpConfirmedAt: date(r.totp_confirmed_at),
      recoveryCodesLeft: r.recovery_left,
    } satisfies MfaAccount;
  }

  // --- TOTP -------------------------------------------------------------------------------

  async totp(em: EntityManager, userId: string): Promise<TotpRow | null> {
    const [r] = await em.execute<TotpRow[]>(
      'select secret_enc, status, created_at, last_used_step from mfa_totp where user_id = ?',
      [userId],
    );
    return r ? { ...r, created_at: date(r.created_at)! } : null;
  }

  /** Stores (or replaces) a pending secret; false when an active one exists (nothing changes). */
  async savePendingTotp(
    em: EntityManager,
    tenantId: string,
    userId: string,
    secretEnc: string,
  ): Promise<boolean> {
    const rows = await em.execute<{ user_id: string }[]>(
      `insert into mfa_totp (user_id, tenant_id, secret_enc, status) values (?, ?, ?, 'pending')
       on conflict (user_id) do update set secret_enc = excluded.secret_enc, created_at = now(), last_used_step = null
         where mfa_totp.status = 'pending'
       returning user_id`,
      [userId, tenantId, secretEnc],
    );
    return rows.length > 0;
  }

  /** Pending → active, remembering the confirming code's step; false when not pending (or expired). */
  async activateTotp(em: EntityManager, userId: string, step: number): Promise<boolean> {
    const rows = await em.execute<{ user_id: string }[]>(
      `update mfa_totp set status = 'active', confirmed_at = now(), last_used_step = ?
        where user_id = ? and status = 'pending' and created_at > now() - make_interval(secs => ?)
        returning user_id`,
      [step, userId, PENDING_TOTP_TTL_S],
    );
    return rows.length > 0;
  }

  /**
   * Records `step` as the last used one, only if it is newer than the stored one: of two
   * requests with the same code, exactly one wins. False = replay.
   */
  async useTotpStep(em: EntityManager, userId: string, step: number): Promise<boolean> {
    const rows = await em.execute<{ user_id: string }[]>(
      `update mfa_totp set last_used_step = ?
        where user_id = ? and status = 'active' and (last_used_step is null or last_used_step < ?)
        returning user_id`,
      [step, userId, step],
    );
    return rows.length > 0;
  }

  /** Removes TOTP and recovery codes and voids open challenges; what was removed. */
  async removeFactors(
    em: EntityManager,
    userId: string,
    reason: string,
  ): Promise<{ totp: boolean; recoveryCodes: number }> {
    const t = await em.execute<{ user_id: string }[]>(
      'delete from mfa_totp where user_id = ? returning user_id',
      [userId],
    );
    const r = await em.execute<{ id: string }[]>(
      'delete from mfa_recovery_codes where user_id = ? returning id',
      [userId],
    );
    await this.voidOpenChallenges(em, userId, reason);
    return { totp: t.length > 0, recoveryCodes: r.length };
  }

  // --- Recovery codes ---------------------------------------------------------------------

  async replaceRecoveryCodes(
    em: EntityManager,
    tenantId: string,
    userId: string,
    digests: string[],
  ): Promise<void> {
    await em.execute('delete from mfa_recovery_codes where user_id = ?', [userId]);
    for (const d of digests) {
      await em.execute(
        'insert into mfa_recovery_codes (tenant_id, user_id, code_digest) values (?, ?, ?)',
        [tenantId, userId, d],
      );
    }
  }

  /** Marks an unused code used (exactly once, even under concurrency); the number left, or null when no such code. */
  async useRecoveryCode(em: EntityManager, userId: string, digest: string): Promise<number | null> {
    const used = await em.execute<{ id: string }[]>(
      'update mfa_recovery_codes set used_at = now() where user_id = ? and code_digest = ? and used_at is null returning id',
      [userId, digest],
    );
    if (!used.length) return null;
    const [c] = await em.execute<{ n: number }[]>(
      'select count(*)::int as n from mfa_recovery_codes where user_id = ? and used_at is null',
      [userId],
    );
    return c.n;
  }

  // --- Challenges -------------------------------------------------------------------------

  async createChallenge(
    em: EntityManager,
    c: {
      tenantId: string;
      userId: string;
      purpose: ChallengeRow['purpose'];
      tokenDigest?: string;
      sessionId?: string;
      methods: string[];
      ttlS: number;
    },
  ): Promise<{ id: string; expiresAt: Date }> {
    // Old rows of this user go (kept a day after expiry for investigations).
    await em.execute(
      `delete from mfa_challenges where user_id = ? and expires_at < now() - interval '1 day'`,
      [c.userId],
    );
    const [r] = await em.execute<{ id: string; expires_at: Date }[]>(
      `insert into mfa_challenges (tenant_id, user_id, purpose, token_digest, session_id, methods, expires_at)
       values (?, ?, ?, ?, ?, ?::text[], now() + make_interval(secs => ?)) returning id, expires_at`,
      [
        c.tenantId,
        c.userId,
        c.purpose,
        c.tokenDigest ?? null,
        c.sessionId ?? null,
        `{${c.methods.join(',')}}`,
        c.ttlS,
      ],
    );
    return { id: r.id, expiresAt: date(r.expires_at)! };
  }

  /** A live (unconsumed, unexpired) challenge, or null. */
  async liveChallenge(em: EntityManager, id: string): Promise<ChallengeRow | null> {
    const [r] = await em.execute<ChallengeRow[]>(
      `select ${CHALLENGE_COLUMNS} from mfa_challenges where id = ? and consumed_at is null and expires_at > now()`,
      [id],
    );
    return challengeRow(r);
  }

  /** The newest live step-up challenge of a session. */
  async liveStepUpChallenge(em: EntityManager, sessionId: string): Promise<ChallengeRow | null> {
    const [r] = await em.execute<ChallengeRow[]>(
      `select ${CHALLENGE_COLUMNS} from mfa_challenges
        where session_id = ? and purpose = 'step_up' and consumed_at is null and expires_at > now()
        order by created_at desc limit 1`,
      [sessionId],
    );
    return challengeRow(r);
  }

  /**
   * Counts an attempt BEFORE its code is checked (atomic), so parallel guesses cannot exceed
   * the limit. Returns the challenge with its new count, or null when it is no longer live.
   */
  async reserveAttempt(em: EntityManager, id: string): Promise<ChallengeRow | null> {
    const [r] = await em.execute<ChallengeRow[]>(
      `update mfa_challenges set attempts = attempts + 1
        where id = ? and consumed_at is null and expires_at > now()
        returning ${CHALLENGE_COLUMNS}`,
      [id],
    );
    return challengeRow(r);
  }

  /** Ends a challenge (used, or void); false when it had already ended. */
  async consumeChallenge(em: EntityManager, id: string, reason: string): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `update mfa_challenges set consumed_at = now(), consumed_reason = ?, email_code_enc = null
        where id = ? and consumed_at is null returning id`,
      [reason, id],
    );
    return rows.length > 0;
  }

  async voidOpenChallenges(
    em: EntityManager,
    userId: string,
    reason: string,
    where: { sessionId?: string } = {},
  ): Promise<void> {
    await em.execute(
      `update mfa_challenges set consumed_at = now(), consumed_reason = ?, email_code_enc = null
        where user_id = ? and consumed_at is null ${where.sessionId ? 'and session_id = ?' : ''}`,
      where.sessionId ? [reason, userId, where.sessionId] : [reason, userId],
    );
  }

  /** Counts one more email send on a live challenge, at most `max`; false when over (or not live). */
  async reserveEmailSend(em: EntityManager, id: string, max: number): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `update mfa_challenges set email_sends = email_sends + 1
        where id = ? and consumed_at is null and expires_at > now() and email_sends < ? returning id`,
      [id, max],
    );
    return rows.length > 0;
  }

  /** A new code replaces (voids) the previous one of the challenge. */
  async setEmailCode(em: EntityManager, id: string, sealed: string, ttlS: number): Promise<Date> {
    const [r] = await em.execute<{ email_code_expires_at: Date }[]>(
      `update mfa_challenges set email_code_enc = ?, email_code_expires_at = least(expires_at, now() + make_interval(secs => ?))
        where id = ? returning email_code_expires_at`,
      [sealed, ttlS, id],
    );
    return date(r.email_code_expires_at)!;
  }
}
