import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '@tessera/http';
import { PASSWORD_MAX_LENGTH } from './password.constants';
import type { PasswordViolation } from './password-policy';

/**
 * The password breaks one or more policy rules. Carries every violation so a client can
 * show them all at once; built from rule messages only, so it never contains the password.
 */
export class WeakPasswordError extends ProblemError {
  constructor(readonly violations: PasswordViolation[]) {
    super(
      HttpStatus.BAD_REQUEST,
      'weak-password',
      'Password does not meet the policy',
      violations.map((v) => v.message).join(' '),
      { violations },
    );
    this.name = 'WeakPasswordError';
  }
}

/** Refused before hashing: an oversized input must never reach argon2. */
export class PasswordTooLongError extends ProblemError {
  constructor() {
    super(
      HttpStatus.BAD_REQUEST,
      'password-too-long',
      'Password is too long',
      `Use at most ${PASSWORD_MAX_LENGTH} characters.`,
    );
    this.name = 'PasswordTooLongError';
  }
}
