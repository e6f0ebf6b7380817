import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { randomToken, SecretDigest } from '@tessera/crypto';
import { PreTenantLookup } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { MailService } from '@tessera/mail';
import {
  LoginGate,
  LoginGates,
  LoginInterruption,
  PasswordVerifiedUser,
  SessionService,
  TokenPair,
} from '@tessera/sessions';
import { MfaErrors } from './mfa.errors';
import { EmailCodes } from './email-codes.service';
import { FactorVerifier, Verification } from './factor-verifier.service';
import { MfaAccounts, MfaActor } from './mfa-accounts.service';
import {
  CHALLENGE_MAX_ATTEMPTS,
  ENROLLMENT_TOKEN_TTL_S,
  FACTOR_OUTCOMES,
  MFA_TOKEN_TTL_S,
  MfaMethod,
} from './mfa-policy';
import { MfaAccount, MfaRepository } from './mfa.repository';

export const MFA_TOKEN_PREFIX = 'mfa_';
export const ENROLLMENT_TOKEN_PREFIX = 'mfe_';
const MFA_TOKEN_SHAPE = /^mfa_[A-Za-z0-9_-]{43}$/;

const tokenActor = (userId: string, challengeId: string): MfaActor => ({
  actor: { type: 'user', id: userId },
  credential: { type: 'mfa_token', id: challengeId },
});

/**
 * The second step of a password login. Registered as Sessions' login gate: after the right
 * password, a person for whom MFA applies gets an `mfa_token` (opaque, 5 min, single use,
 * only an HMAC digest stored, never accepted as an access token) instead of tokens, or an
 * enrolment token when MFA is required and no factor is usable yet.
 */
@Injectable()
export class MfaLoginService implements LoginGate, OnModuleInit {
  constructor(
    private readonly gates: LoginGates,
    private readonly repo: MfaRepository,
    private readonly accounts: MfaAccounts,
    private readonly verifier: FactorVerifier,
    private readonly emailCodes: EmailCodes,
    private readonly sessions: SessionService,
    private readonly lookup: PreTenantLookup,
    private readonly digest: SecretDigest,
    private readonly audit: AuditService,
    private readonly mail: MailService,
  ) {}

  onModuleInit(): void {
    this.gates.register(this);
  }

  async afterPassword(user: PasswordVerifiedUser): Promise<LoginInterruption | null> {
    const loaded = await this.accounts.load(user.tenantId, user.id);
    // The password was just verified for this user: an unreadable account is a fault, never a pass.
    if (!loaded) throw ProblemError.unavailable('The account could not be read; retry shortly.');
    const { standing } = loaded;
    if (!standing.applies) return null;
    const enrol = standing.methods.length === 0;
    const token = (enrol ? ENROLLMENT_TOKEN_PREFIX : MFA_TOKEN_PREFIX) + randomToken(32);
    const ttlS = enrol ? ENROLLMENT_TOKEN_TTL_S : MFA_TOKEN_TTL_S;
    const methods = enrol ? ['totp'] : standing.methods;
    await this.repo.tx(user.tenantId, async (em) => {
      const ch = await this.repo.createChallenge(em, {
        tenantId: user.tenantId,
        userId: user.id,
        purpose: enrol ? 'enroll' : 'login',
        tokenDigest: this.digest.digest(token),
        methods,
        ttlS,
      });
      await this.audit.record(
        {
          action: enrol ? 'mfa.enrollment_required' : 'mfa.challenge',
          outcome: 'success',
          tenantId: user.tenantId,
          actor: { type: 'user', id: user.id },
          credential: { type: 'password' },
          target: { type: 'user', id: user.id },
          params: {
            challenge: ch.id,
            methods,
            required: standing.required,
            elevated: standing.elevated,
          },
          reason: enrol ? 'MFA required and no usable factor' : 'second factor required',
        },
        em,
      );
    });
    return enrol
      ? {
          mfa_enrollment_required: true,
          enrollment_token: token,
          token_type: 'Bearer',
          expires_in: ttlS,
          methods,
        }
      : { mfa_required: true, mfa_token: token, expires_in: ttlS, methods };
  }

  /** Completes the login: the factor is checked, the challenge consumed, the session started. */
  async verify(mfaToken: string, method: MfaMethod, code: string): Promise<TokenPair> {
    const found = await this.challengeOf(mfaToken);
    const actor = tokenActor(found.userId, found.id);
    await this.voidIfLockedOut(found, actor);

    type Result =
      | { kind: 'gone' }
      | { kind: 'exhausted' }
      | { kind: 'method' }
      | { kind: 'fail'; v: Verification & { ok: false }; attemptsLeft: number }
      | { kind: 'ok'; v: Verification & { ok: true }; account: MfaAccount };
    const result: Result = await this.repo.tx(found.tenantId, async (em) => {
      const ch = await this.repo.reserveAttempt(em, found.id);
      if (!ch) return { kind: 'gone' };
      if (ch.attempts > CHALLENGE_MAX_ATTEMPTS) {
        await this.repo.consumeChallenge(em, ch.id, 'too_many_attempts');
        return { kind: 'exhausted' };
      }
      if (!ch.methods.includes(method)) return { kind: 'method' };
      const account = await this.repo.account(found.tenantId, found.userId, em);
      if (!account || account.status !== 'active' || account.tenantStatus !== 'active') {
        await this.repo.consumeChallenge(em, ch.id, 'account_unusable');
        return { kind: 'gone' };
      }
      const v = await this.verifier.verify(em, account, method, code, ch);
      if (!v.ok) return { kind: 'fail', v, attemptsLeft: CHALLENGE_MAX_ATTEMPTS - ch.attempts };
      if (!(await this.repo.consumeChallenge(em, ch.id, 'verified'))) return { kind: 'gone' };
      await this.audit.record(
        {
          action: 'mfa.verify',
          outcome: 'success',
          tenantId: found.tenantId,
          ...actor,
          target: { type: 'user', id: found.userId },
          params: { method, purpose: 'login' },
        },
        em,
      );
      return { kind: 'ok', v, account };
    });

    if (result.kind === 'gone') throw MfaErrors.invalidMfaToken();
    if (result.kind === 'method') throw MfaErrors.methodNotAvailable();
    if (result.kind === 'exhausted') {
      await this.failed(found, actor, method, 'too_many_attempts');
      throw MfaErrors.invalidMfaToken('Too many wrong codes; log in again.');
    }
    if (result.kind === 'fail') {
      const lockedOut = await this.failed(found, actor, method, result.v.reason);
      if (lockedOut)
        await this.repo.tx(found.tenantId, (em) =>
          this.repo.consumeChallenge(em, found.id, 'account_lockout'),
        );
      throw lockedOut
        ? MfaErrors.invalidMfaToken('Too many wrong codes; log in again later.')
        : MfaErrors.invalidCode(401, result.attemptsLeft);
    }
    const { account } = result;
    if (result.v.recoveryCodesLeft !== undefined)
      await this.recoveryCodeUsed(account, actor, result.v.recoveryCodesLeft);
    const outcome = FACTOR_OUTCOMES[method];
    const { sessionId: _sid, ...pair } = await this.sessions.start(
      { id: account.id, tenantId: account.tenantId },
      { method: outcome.method, amr: ['pwd', ...outcome.amr], acr: outcome.acr },
    );
    return pair;
  }

  /** (Re)sends an email code for this login; the previous code stops working. */
  async sendEmail(mfaToken: string): Promise<number> {
    const found = await this.challengeOf(mfaToken);
    return this.emailCodes.send(
      found.tenantId,
      found.userId,
      found.id,
      tokenActor(found.userId, found.id),
    );
  }

  /** Audits a recovery-code use (tier 3) and tells the owner by mail. */
  async recoveryCodeUsed(account: MfaAccount, actor: MfaActor, left: number): Promise<void> {
    await this.audit.record({
      action: 'mfa.recovery_code.use',
      outcome: 'success',
      tenantId: account.tenantId,
      ...actor,
      target: { type: 'user', id: account.id },
      riskTier: 3,
      params: { remaining: left },
    });
    this.mail.enqueue('recovery-code-used', account.email, { name: account.name, remaining: left });
  }

  private async challengeOf(
    mfaToken: string,
  ): Promise<{ id: string; tenantId: string; userId: string }> {
    if (typeof mfaToken !== 'string' || !MFA_TOKEN_SHAPE.test(mfaToken))
      throw MfaErrors.invalidMfaToken();
    const found = await this.lookup.mfaChallenge(this.digest.digest(mfaToken));
    if (!found || found.purpose !== 'login') throw MfaErrors.invalidMfaToken();
    return found;
  }

  private async voidIfLockedOut(
    found: { id: string; tenantId: string; userId: string },
    actor: MfaActor,
  ): Promise<void> {
    try {
      await this.accounts.assertNotLockedOut(found.userId);
    } catch (err) {
      await this.repo.tx(found.tenantId, (em) =>
        this.repo.consumeChallenge(em, found.id, 'account_lockout'),
      );
      await this.audit.record({
        action: 'mfa.verify',
        outcome: 'failure',
        decision: 'deny',
        tenantId: found.tenantId,
        ...actor,
        target: { type: 'user', id: found.userId },
        params: { purpose: 'login' },
        reason: 'account_lockout',
      });
      throw err;
    }
  }

  /** Audits a failed check (a replay also gets its own tier-3 row); true when the account is now locked out. */
  private async failed(
    found: { tenantId: string; userId: string },
    actor: MfaActor,
    method: MfaMethod,
    reason: string,
  ): Promise<boolean> {
    await this.audit.record({
      action: 'mfa.verify',
      outcome: 'failure',
      decision: 'deny',
      tenantId: found.tenantId,
      ...actor,
      target: { type: 'user', id: found.userId },
      params: { method, purpose: 'login' },
      reason,
    });
    if (reason === 'replay') await this.replayed(found.tenantId, found.userId, actor, 'login');
    if (reason === 'too_many_attempts') return false;
    return this.accounts.recordFailure(found.tenantId, found.userId, actor);
  }

  async replayed(
    tenantId: string,
    userId: string,
    actor: MfaActor,
    purpose: string,
  ): Promise<void> {
    await this.audit.record({
      action: 'mfa.totp.replay',
      outcome: 'failure',
      decision: 'deny',
      tenantId,
      ...actor,
      target: { type: 'user', id: userId },
      riskTier: 3,
      params: { purpose },
      reason: 'TOTP code of an already used time step',
    });
  }
}
