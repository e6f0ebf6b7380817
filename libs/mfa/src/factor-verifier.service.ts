import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { MfaCrypto } from './mfa-crypto.service';
import { MfaMethod } from './mfa-policy';
import { ChallengeRow, MfaAccount, MfaRepository } from './mfa.repository';
import { SecretBoxError } from './secret-box';
import { checkTotp } from './totp';

export type FailureReason =
  | 'wrong_code'
  | 'replay'
  | 'expired_code'
  | 'no_code_sent'
  | 'not_enrolled'
  | 'secret_undecryptable';

export type Verification =
  | { ok: true; method: MfaMethod; recoveryCodesLeft?: number }
  | { ok: false; method: MfaMethod; reason: FailureReason };

/**
 * Checks one second factor inside the caller's tenant transaction, consuming what a success
 * uses up: the TOTP time step (recorded, so the same code is a replay afterwards), the
 * recovery code (marked used). Never throws for a wrong code: the caller commits the
 * attempt count, then answers.
 */
@Injectable()
export class FactorVerifier {
  private readonly logger = new Logger('Mfa');

  constructor(
    private readonly repo: MfaRepository,
    private readonly crypto: MfaCrypto,
  ) {}

  async verify(
    em: EntityManager,
    account: MfaAccount,
    method: MfaMethod,
    rawCode: string,
    challenge: ChallengeRow | null,
  ): Promise<Verification> {
    const code = rawCode.trim();
    const fail = (reason: FailureReason): Verification => ({ ok: false, method, reason });
    switch (method) {
      case 'totp': {
        const row = await this.repo.totp(em, account.id);
        if (!row || row.status !== 'active') return fail('not_enrolled');
        let secret: string;
        try {
          secret = this.crypto.openTotpSecret(account.tenantId, account.id, row.secret_enc);
        } catch (err) {
          if (!(err instanceof SecretBoxError)) throw err;
          // Wrong master key, tampering, or a ciphertext copied from another user's row.
          this.logger.error(
            { userId: account.id, tenantId: account.tenantId },
            'TOTP secret does not decrypt for this user',
          );
          return fail('secret_undecryptable');
        }
        const check = await checkTotp(secret, code);
        if (!check.valid) return fail('wrong_code');
        if (row.last_used_step !== null && check.step <= Number(row.last_used_step))
          return fail('replay');
        // Two requests with the same code: the conditional update lets exactly one through.
        if (!(await this.repo.useTotpStep(em, account.id, check.step))) return fail('replay');
        return { ok: true, method };
      }
      case 'recovery_code': {
        const digest = this.crypto.recoveryDigest(code);
        if (!digest) return fail('wrong_code');
        const left = await this.repo.useRecoveryCode(em, account.id, digest);
        return left === null ? fail('wrong_code') : { ok: true, method, recoveryCodesLeft: left };
      }
      case 'email': {
        if (!challenge?.email_code_enc || !challenge.email_code_expires_at)
          return fail('no_code_sent');
        if (challenge.email_code_expires_at.getTime() <= Date.now()) return fail('expired_code');
        if (!/^\d{6}$/.test(code)) return fail('wrong_code');
        return this.crypto.emailCodeMatches(
          account.tenantId,
          account.id,
          challenge.id,
          challenge.email_code_enc,
          code,
        )
          ? { ok: true, method }
          : fail('wrong_code');
      }
    }
  }
}
