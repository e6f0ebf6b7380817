import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { EnrollmentPrincipal, principalAudit, UserPrincipal } from '@tessera/auth';
import { ProblemError } from '@tessera/http';
import { MailService } from '@tessera/mail';
import { SessionService, TokenPair } from '@tessera/sessions';
import { toString as qrString } from 'qrcode';
import { MfaErrors } from './mfa.errors';
import { FactorVerifier } from './factor-verifier.service';
import { MfaAccounts } from './mfa-accounts.service';
import { MfaCrypto } from './mfa-crypto.service';
import { MfaLoginService } from './mfa-login.service';
import { FACTOR_OUTCOMES, PENDING_TOTP_TTL_S } from './mfa-policy';
import { MfaAccount, MfaRepository } from './mfa.repository';
import { newRecoveryCodes } from './recovery-codes';
import { SecretBoxError } from './secret-box';
import { checkTotp, newTotpSecret, totpUri } from './totp';

export const TOTP_ISSUER = 'Tessera';

/**
 * The signed-in person's own authenticator app and recovery codes: enrol (password), confirm
 * with a first code (activates it and returns 10 recovery codes once), remove (password and
 * a code), new recovery codes (password). Each change ends the person's other sessions and
 * is mailed to them. With an enrolment token (MFA required, nothing set up yet) enrolling
 * needs no password (it was given seconds before) and confirming completes the login.
 */
@Injectable()
export class TotpEnrollmentService {
  constructor(
    private readonly repo: MfaRepository,
    private readonly accounts: MfaAccounts,
    private readonly crypto: MfaCrypto,
    private readonly verifier: FactorVerifier,
    private readonly sessions: SessionService,
    private readonly login: MfaLoginService,
    private readonly audit: AuditService,
    private readonly mail: MailService,
  ) {}

  async status(p: UserPrincipal) {
    const loaded = await this.loaded(p);
    return {
      required: loaded.standing.required,
      methods: loaded.standing.methods,
      totp: loaded.account.totp,
      totpConfirmedAt: loaded.account.totpConfirmedAt,
      recoveryCodesLeft: loaded.account.recoveryCodesLeft,
      emailAllowed: loaded.standing.emailAllowed,
    };
  }

  async enroll(p: UserPrincipal | EnrollmentPrincipal, password: string | undefined) {
    const actor = principalAudit(p);
    const { account } = await this.loaded(p);
    if (p.kind === 'session') {
      if (typeof password !== 'string') {
        throw ProblemError.badRequest(
          'validation-failed',
          'The request is not valid',
          'password is required.',
          {
            errors: [{ field: 'password', messages: ['password is required'] }],
          },
        );
      }
      await this.accounts.checkPassword(account, password, (reason) =>
        this.failure('mfa.totp.enroll', account, actor, reason),
      );
    }
    if (account.totp === 'active') throw MfaErrors.alreadyEnrolled();
    const secret = newTotpSecret();
    const saved = await this.repo.tx(account.tenantId, async (em) => {
      if (
        !(await this.repo.savePendingTotp(
          em,
          account.tenantId,
          account.id,
          this.crypto.sealTotpSecret(account.tenantId, account.id, secret),
        ))
      )
        return false;
      await this.audit.record(
        {
          action: 'mfa.totp.enroll',
          outcome: 'success',
          tenantId: account.tenantId,
          ...actor,
          target: { type: 'user', id: account.id },
          riskTier: 2,
        },
        em,
      );
      return true;
    });
    if (!saved) throw MfaErrors.alreadyEnrolled();
    const uri = totpUri(TOTP_ISSUER, account.email, secret);
    const svg = await qrString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return {
      secret,
      otpauth_uri: uri,
      qr_code: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`,
      expires_in: PENDING_TOTP_TTL_S,
    };
  }

  async confirm(
    p: UserPrincipal | EnrollmentPrincipal,
    code: string,
  ): Promise<{ recovery_codes: string[] } & Partial<TokenPair>> {
    const actor = principalAudit(p);
    await this.accounts.assertNotLockedOut(p.userId);
    const { account } = await this.loaded(p);
    const codes = newRecoveryCodes();
    const result = await this.repo.tx(account.tenantId, async (em) => {
      const row = await this.repo.totp(em, account.id);
      if (
        !row ||
        row.status !== 'pending' ||
        row.created_at.getTime() <= Date.now() - PENDING_TOTP_TTL_S * 1000
      )
        return 'none' as const;
      let secret: string;
      try {
        secret = this.crypto.openTotpSecret(account.tenantId, account.id, row.secret_enc);
      } catch (err) {
        if (err instanceof SecretBoxError) return 'wrong' as const;
        throw err;
      }
      const check = await checkTotp(secret, code);
      if (!check.valid) return 'wrong' as const;
      if (!(await this.repo.activateTotp(em, account.id, check.step))) return 'none' as const;
      await this.storeRecoveryCodes(em, account, codes);
      if (
        p.kind === 'mfa_enrollment' &&
        !(await this.repo.consumeChallenge(em, p.tokenId, 'enrolled'))
      )
        throw MfaErrors.invalidMfaToken();
      await this.audit.record(
        {
          action: 'mfa.totp.confirm',
          outcome: 'success',
          tenantId: account.tenantId,
          ...actor,
          target: { type: 'user', id: account.id },
          riskTier: 2,
          params: { recoveryCodes: codes.length },
        },
        em,
      );
      return 'ok' as const;
    });
    if (result === 'none') throw MfaErrors.noPendingEnrollment();
    if (result === 'wrong') {
      await this.failure('mfa.totp.confirm', account, actor, 'wrong_code');
      await this.accounts.recordFailure(account.tenantId, account.id, actor);
      throw MfaErrors.invalidCode(400);
    }
    this.mail.enqueue('mfa-changed', account.email, { name: account.name, change: 'totp-enabled' });
    if (p.kind === 'session') {
      await this.sessions.revokeOtherSessions(
        account.tenantId,
        account.id,
        p.sessionId,
        'mfa_enrolled',
        { action: 'session.revoke_all', by: p },
      );
      return { recovery_codes: codes };
    }
    // Enrolment token: every earlier session ends, and this login completes with the new factor.
    await this.sessions.revokeUserSessions(account.tenantId, account.id, 'mfa_enrolled');
    const outcome = FACTOR_OUTCOMES.totp;
    const { sessionId: _sid, ...pair } = await this.sessions.start(
      { id: account.id, tenantId: account.tenantId },
      { method: outcome.method, amr: ['pwd', ...outcome.amr], acr: outcome.acr },
    );
    return { recovery_codes: codes, ...pair };
  }

  /** Needs the password and a current code (or an unused recovery code: the phone may be lost). */
  async disable(p: UserPrincipal, password: string, code: string): Promise<void> {
    const actor = principalAudit(p);
    await this.accounts.assertNotLockedOut(p.userId);
    const { account } = await this.loaded(p);
    if (account.totp !== 'active') throw MfaErrors.notEnrolled();
    await this.accounts.checkPassword(account, password, (reason) =>
      this.failure('mfa.totp.disable', account, actor, reason),
    );
    const method = /^\s*\d{6}\s*$/.test(code) ? 'totp' : 'recovery_code';
    const v = await this.repo.tx(account.tenantId, async (em) => {
      const r = await this.verifier.verify(em, account, method, code, null);
      if (!r.ok) return r;
      const removed = await this.repo.removeFactors(em, account.id, 'factor_removed');
      await this.audit.record(
        {
          action: 'mfa.totp.disable',
          outcome: 'success',
          tenantId: account.tenantId,
          ...actor,
          target: { type: 'user', id: account.id },
          riskTier: 3,
          params: { method, removed },
        },
        em,
      );
      return r;
    });
    if (!v.ok) {
      await this.failure('mfa.totp.disable', account, actor, v.reason);
      if (v.reason === 'replay')
        await this.login.replayed(account.tenantId, account.id, actor, 'disable');
      await this.accounts.recordFailure(account.tenantId, account.id, actor);
      throw MfaErrors.invalidCode(400);
    }
    await this.sessions.revokeOtherSessions(
      account.tenantId,
      account.id,
      p.sessionId,
      'mfa_removed',
      { action: 'session.revoke_all', by: p },
    );
    this.mail.enqueue('mfa-changed', account.email, {
      name: account.name,
      change: 'totp-disabled',
    });
  }

  async regenerateRecoveryCodes(
    p: UserPrincipal,
    password: string,
  ): Promise<{ recovery_codes: string[] }> {
    const actor = principalAudit(p);
    const { account } = await this.loaded(p);
    if (account.totp !== 'active') throw MfaErrors.notEnrolled();
    await this.accounts.checkPassword(account, password, (reason) =>
      this.failure('mfa.recovery_codes.generate', account, actor, reason),
    );
    const codes = newRecoveryCodes();
    await this.repo.tx(account.tenantId, async (em) => {
      await this.storeRecoveryCodes(em, account, codes);
      await this.audit.record(
        {
          action: 'mfa.recovery_codes.generate',
          outcome: 'success',
          tenantId: account.tenantId,
          ...actor,
          target: { type: 'user', id: account.id },
          riskTier: 2,
          params: { count: codes.length },
        },
        em,
      );
    });
    await this.sessions.revokeOtherSessions(
      account.tenantId,
      account.id,
      p.sessionId,
      'mfa_recovery_codes_regenerated',
      { action: 'session.revoke_all', by: p },
    );
    this.mail.enqueue('mfa-changed', account.email, {
      name: account.name,
      change: 'recovery-codes-regenerated',
    });
    return { recovery_codes: codes };
  }

  /** A new set of recovery codes replaces the old one; only their digests are stored. */
  private storeRecoveryCodes(em: EntityManager, account: MfaAccount, codes: string[]): Promise<void> {
    return this.repo.replaceRecoveryCodes(em, account.tenantId, account.id, codes.map((c) => this.crypto.recoveryDigest(c)!));
  }

  private async loaded(p: UserPrincipal | EnrollmentPrincipal) {
    const loaded = await this.accounts.load(p.tenantId, p.userId);
    if (!loaded || loaded.account.status !== 'active') throw ProblemError.unauthorized();
    return loaded;
  }

  private failure(
    action: string,
    account: MfaAccount,
    actor: ReturnType<typeof principalAudit>,
    reason: string,
  ): Promise<void> {
    return this.audit.record({
      action,
      outcome: 'failure',
      decision: 'deny',
      tenantId: account.tenantId,
      ...actor,
      target: { type: 'user', id: account.id },
      riskTier: 2,
      reason,
    });
  }
}
