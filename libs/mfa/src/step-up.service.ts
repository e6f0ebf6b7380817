import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { principalAudit, UserPrincipal } from '@tessera/auth';
import { SessionService } from '@tessera/sessions';
import { MfaErrors } from './mfa.errors';
import { EmailCodes } from './email-codes.service';
import { FactorVerifier, Verification } from './factor-verifier.service';
import { MfaAccounts } from './mfa-accounts.service';
import { MfaLoginService } from './mfa-login.service';
import {
  CHALLENGE_MAX_ATTEMPTS,
  FACTOR_OUTCOMES,
  MfaMethod,
  STEP_UP_CHALLENGE_TTL_S,
} from './mfa-policy';
import { MfaRepository } from './mfa.repository';

/** amr values a factor adds; what remains of a session's amr is its primary method (e.g. `pwd`). */
const FACTOR_AMR = new Set(['otp', 'mfa', 'email']);

/**
 * Step-up (RFC 9470): a person re-verifies a second factor within the current session; the
 * session's auth_time, amr and acr are updated and a fresh access token is returned. Tier-3
 * routes then pass the permission guard's freshness check for STEP_UP_MAX_AGE_SECONDS.
 */
@Injectable()
export class StepUpService {
  constructor(
    private readonly repo: MfaRepository,
    private readonly accounts: MfaAccounts,
    private readonly verifier: FactorVerifier,
    private readonly emailCodes: EmailCodes,
    private readonly sessions: SessionService,
    private readonly login: MfaLoginService,
    private readonly audit: AuditService,
  ) {}

  async stepUp(p: UserPrincipal, method: MfaMethod, code: string) {
    const actor = principalAudit(p);
    await this.accounts.assertNotLockedOut(p.userId);
    const loaded = await this.accounts.load(p.tenantId, p.userId);
    if (!loaded || !loaded.standing.methods.includes(method)) throw MfaErrors.methodNotAvailable();
    const account = loaded.account;

    const v: Verification = await this.repo.tx(p.tenantId, async (em) => {
      let challenge = null;
      if (method === 'email') {
        const live = await this.repo.liveStepUpChallenge(em, p.sessionId);
        challenge = live && (await this.repo.reserveAttempt(em, live.id));
        if (!challenge) return { ok: false, method, reason: 'no_code_sent' } as const;
        if (challenge.attempts > CHALLENGE_MAX_ATTEMPTS) {
          await this.repo.consumeChallenge(em, challenge.id, 'too_many_attempts');
          return { ok: false, method, reason: 'no_code_sent' } as const;
        }
      }
      const result = await this.verifier.verify(em, account, method, code, challenge);
      if (result.ok && challenge) await this.repo.consumeChallenge(em, challenge.id, 'verified');
      return result;
    });

    if (!v.ok) {
      await this.audit.record({
        action: 'mfa.step_up',
        outcome: 'failure',
        decision: 'deny',
        tenantId: p.tenantId,
        ...actor,
        target: { type: 'session', id: p.sessionId },
        params: { method },
        reason: v.reason,
      });
      if (v.reason === 'replay') await this.login.replayed(p.tenantId, p.userId, actor, 'step_up');
      await this.accounts.recordFailure(p.tenantId, p.userId, actor);
      throw MfaErrors.invalidCode(400);
    }
    if (v.recoveryCodesLeft !== undefined)
      await this.login.recoveryCodeUsed(account, actor, v.recoveryCodesLeft);
    const outcome = FACTOR_OUTCOMES[method];
    const primary = p.amr.filter((m) => !FACTOR_AMR.has(m));
    const amr = [...new Set([...(primary.length ? primary : ['pwd']), ...outcome.amr])];
    const token = await this.sessions.reauthenticate(
      { id: p.userId, tenantId: p.tenantId },
      p.sessionId,
      { amr, acr: outcome.acr },
      {
        action: 'mfa.step_up',
        outcome: 'success',
        tenantId: p.tenantId,
        ...actor,
        target: { type: 'session', id: p.sessionId },
        params: { method, amr, acr: outcome.acr },
      },
    );
    return { ...token, acr: outcome.acr, amr };
  }

  /** An email code for a step-up of this session; an earlier one of the session stops working. */
  async sendEmail(p: UserPrincipal): Promise<number> {
    const loaded = await this.accounts.load(p.tenantId, p.userId);
    if (!loaded || !loaded.standing.methods.includes('email')) throw MfaErrors.methodNotAvailable();
    const challenge = await this.repo.tx(p.tenantId, async (em) => {
      await this.repo.voidOpenChallenges(em, p.userId, 'replaced', { sessionId: p.sessionId });
      return this.repo.createChallenge(em, {
        tenantId: p.tenantId,
        userId: p.userId,
        purpose: 'step_up',
        sessionId: p.sessionId,
        methods: ['email'],
        ttlS: STEP_UP_CHALLENGE_TTL_S,
      });
    });
    return this.emailCodes.send(p.tenantId, p.userId, challenge.id, principalAudit(p));
  }
}
