import { ApiProperty } from '@nestjs/swagger';

/**
 * The one body of every anonymous request that may send mail (sign-up, resend, forgot
 * password). Built only from constants: nothing in it can depend on whether the address
 * has an account.
 */
export class AcceptedResponseDto {
  @ApiProperty({ enum: ['verification_sent', 'reset_requested'] })
  status!: 'verification_sent' | 'reset_requested';

  @ApiProperty()
  message!: string;
}

export class VerifyEmailResponseDto {
  @ApiProperty({ enum: ['verified'] })
  status!: 'verified';
}

export class PasswordResetResponseDto {
  @ApiProperty({ enum: ['password_reset'] })
  status!: 'password_reset';
}

const VERIFICATION_SENT: AcceptedResponseDto = Object.freeze({
  status: 'verification_sent',
  message: 'If the address can be used, we sent a verification link.',
});

const RESET_REQUESTED: AcceptedResponseDto = Object.freeze({
  status: 'reset_requested',
  message: 'If an account can be reset with this address, we sent a password reset link.',
});

/** The explicit mappers of the account routes (fixed bodies: see AcceptedResponseDto). */
export const AccountResponses = {
  verificationSent: (): AcceptedResponseDto => ({ ...VERIFICATION_SENT }),
  resetRequested: (): AcceptedResponseDto => ({ ...RESET_REQUESTED }),
  verified: (): VerifyEmailResponseDto => ({ status: 'verified' }),
  passwordReset: (): PasswordResetResponseDto => ({ status: 'password_reset' }),
};
