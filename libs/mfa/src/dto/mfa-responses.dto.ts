import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MFA_METHODS, MfaMethod } from '../mfa-policy';

/** `POST /v1/auth/login` when a second factor is needed (instead of tokens). */
export class MfaRequiredDto {
  @ApiProperty({ enum: [true] }) mfa_required!: true;
  @ApiProperty({
    description: 'Opaque, single use, 5 minutes; only for /v1/auth/mfa/*. Never an access token.',
  })
  mfa_token!: string;
  @ApiProperty({ description: 'seconds' }) expires_in!: number;
  @ApiProperty({ enum: MFA_METHODS, isArray: true }) methods!: MfaMethod[];
}

/** `POST /v1/auth/login` when MFA is required but no factor is set up yet. */
export class MfaEnrollmentRequiredDto {
  @ApiProperty({ enum: [true] }) mfa_enrollment_required!: true;
  @ApiProperty({
    description: 'Bearer token accepted only by the TOTP enrolment routes, 10 minutes.',
  })
  enrollment_token!: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type!: 'Bearer';
  @ApiProperty({ description: 'seconds' }) expires_in!: number;
  @ApiProperty({ enum: ['totp'], isArray: true }) methods!: 'totp'[];
}

export class EmailCodeSentDto {
  @ApiProperty({ description: 'Seconds the code is valid (never beyond its mfa_token).' })
  expires_in!: number;
}

export class TotpEnrollmentDto {
  @ApiProperty({ description: 'Base32 secret for manual entry. Shown here once, never again.' })
  secret!: string;
  @ApiProperty({ example: 'otpauth://totp/Tessera:ada%40example.com?secret=…&issuer=Tessera' })
  otpauth_uri!: string;
  @ApiProperty({ description: 'The otpauth URI as a QR code: data:image/svg+xml;base64,…' })
  qr_code!: string;
  @ApiProperty({ description: 'Seconds left to confirm with a code.' }) expires_in!: number;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: '10 single-use codes, shown once.' })
  recovery_codes!: string[];
}

/** Confirming with an enrolment token also completes the login. */
export class EnrollmentCompletedDto extends RecoveryCodesDto {
  @ApiPropertyOptional() access_token?: string;
  @ApiPropertyOptional({ enum: ['Bearer'] }) token_type?: 'Bearer';
  @ApiPropertyOptional() expires_in?: number;
  @ApiPropertyOptional() refresh_token?: string;
  @ApiPropertyOptional() refresh_expires_in?: number;
}

export class StepUpResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type!: 'Bearer';
  @ApiProperty({ description: 'seconds' }) expires_in!: number;
  @ApiProperty() acr!: string;
  @ApiProperty({ type: [String] }) amr!: string[];
}

export class MfaStatusDto {
  @ApiProperty({
    description:
      'MFA is required for this account (elevated role, tier-3 permission or tenant setting).',
  })
  required!: boolean;
  @ApiProperty({ enum: MFA_METHODS, isArray: true, description: 'Factors usable now.' })
  methods!: MfaMethod[];
  @ApiProperty({ enum: ['none', 'pending', 'active'] }) totp!: 'none' | 'pending' | 'active';
  @ApiPropertyOptional({ nullable: true }) totpConfirmedAt!: Date | null;
  @ApiProperty() recoveryCodesLeft!: number;
  @ApiProperty({ description: 'An emailed code is allowed for this account.' })
  emailAllowed!: boolean;
}
