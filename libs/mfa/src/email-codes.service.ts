import { Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { MailService } from '@tessera/mail';
import { MfaErrors } from './mfa.errors';
import { MfaAccounts, MfaActor } from './mfa-accounts.service';
import { MfaCrypto } from './mfa-crypto.service';
import { CHALLENGE_MAX_EMAIL_SENDS, EMAIL_CODE_TTL_S } from './mfa-policy';
import { MfaRepository } from './mfa.repository';

/**
 * Emailed one-time codes: 6 digits from the CSPRNG, sealed (AES-256-GCM, own key, bound to
 * the challenge) in the challenge row, valid 10 minutes but never beyond the challenge. A
 * new code replaces the previous one. At most 3 per challenge and 10 per account per hour.
 */
@Injectable()
export class EmailCodes {
  constructor(
    private readonly repo: MfaRepository,
    private readonly crypto: MfaCrypto,
    private readonly accounts: MfaAccounts,
    private readonly audit: AuditService,
    private readonly mail: MailService,
  ) {}

  /** Returns the seconds the code is valid. The code itself only goes into the mail. */
  async send(
    tenantId: string,
    userId: string,
    challengeId: string,
    actor: MfaActor,
  ): Promise<number> {
    // The caller proved a password (login) or holds a session: counting first is safe.
    await this.accounts.reserveEmailSend(userId);
    const sent = await this.repo.tx(tenantId, async (em) => {
      const ch = await this.repo.liveChallenge(em, challengeId);
      if (!ch) return { kind: 'gone' as const };
      if (!ch.methods.includes('email')) return { kind: 'method' as const };
      const account = await this.repo.account(tenantId, userId, em);
      if (!account || account.status !== 'active') return { kind: 'gone' as const };
      if (!(await this.repo.reserveEmailSend(em, ch.id, CHALLENGE_MAX_EMAIL_SENDS)))
        return { kind: 'limit' as const };
      const code = this.crypto.newEmailCode();
      const expiresAt = await this.repo.setEmailCode(
        em,
        ch.id,
        this.crypto.sealEmailCode(tenantId, userId, ch.id, code),
        EMAIL_CODE_TTL_S,
      );
      await this.audit.record(
        {
          action: 'mfa.email.send',
          outcome: 'success',
          tenantId,
          ...actor,
          target: { type: 'user', id: userId },
          riskTier: 2,
          params: { challenge: ch.id, purpose: ch.purpose, send: ch.email_sends + 1 },
        },
        em,
      );
      return { kind: 'ok' as const, code, expiresAt, email: account.email, name: account.name };
    });
    if (sent.kind === 'gone') throw MfaErrors.invalidMfaToken();
    if (sent.kind === 'method') throw MfaErrors.methodNotAvailable();
    if (sent.kind === 'limit')
      throw MfaErrors.tooManyAttempts(
        60,
        'No more codes can be sent for this sign-in; start again.',
      );
    const seconds = Math.max(1, Math.floor((sent.expiresAt.getTime() - Date.now()) / 1000));
    this.mail.enqueue('mfa-code', sent.email, {
      name: sent.name,
      code: sent.code,
      expiresInMinutes: Math.max(1, Math.round(seconds / 60)),
    });
    return seconds;
  }
}
