import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '@tessera/http';

/** The MFA module's expected failures, with stable problem codes (listed in the README). */
export const MfaErrors = {
  /** Unknown, expired, used or voided mfa_token / enrolment token: log in again. */
  invalidMfaToken: (detail = 'The MFA token is not valid or has expired; log in again.') =>
    new ProblemError(
      HttpStatus.UNAUTHORIZED,
      'invalid-mfa-token',
      'Invalid MFA token',
      detail,
      {},
      {
        'WWW-Authenticate': 'Bearer realm="tessera"',
      },
    ),

  /**
   * A wrong, expired or already used code. 401 while logging in (no session yet); 400 on
   * authenticated routes (the caller is authenticated; a form field is wrong).
   */
  invalidCode: (status: 400 | 401, attemptsLeft?: number) =>
    new ProblemError(
      status,
      'invalid-mfa-code',
      'Invalid code',
      'The code is not correct, has expired or was already used.',
      attemptsLeft === undefined ? {} : { attempts_remaining: Math.max(0, attemptsLeft) },
      status === 401 ? { 'WWW-Authenticate': 'Bearer realm="tessera"' } : {},
    ),

  methodNotAvailable: () =>
    ProblemError.badRequest(
      'mfa-method-not-available',
      'Method not available',
      'This second factor is not available for this account.',
    ),

  alreadyEnrolled: () =>
    ProblemError.conflict(
      'totp-already-enrolled',
      'Authenticator already set up',
      'Remove the current authenticator before setting up another one.',
    ),

  noPendingEnrollment: () =>
    ProblemError.conflict(
      'no-pending-enrollment',
      'Nothing to confirm',
      'Start the authenticator set-up first (it expires after 15 minutes).',
    ),

  notEnrolled: () =>
    ProblemError.conflict(
      'totp-not-enrolled',
      'No authenticator',
      'No authenticator app is set up for this account.',
    ),

  invalidCurrentPassword: () =>
    ProblemError.badRequest(
      'invalid-current-password',
      'Current password is wrong',
      'The current password is not correct.',
    ),

  cannotTargetSelf: () =>
    ProblemError.conflict(
      'cannot-target-self',
      'Cannot target yourself',
      'Remove your own second factors from your security settings, with your password and a code.',
    ),

  tooManyAttempts: (
    retryAfterSeconds: number,
    detail = 'Too many attempts; retry after the time given in Retry-After.',
  ) =>
    new ProblemError(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate-limited',
      'Too many requests',
      detail,
      {},
      {
        'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
      },
    ),
};
