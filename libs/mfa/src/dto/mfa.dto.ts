import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsPasswordInput } from '@tessera/password';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { MFA_METHODS, MfaMethod } from '../mfa-policy';

const MFA_TOKEN = /^mfa_[A-Za-z0-9_-]{43}$/;
/** 6 digits (TOTP, email) or a recovery code (`xxxxx-xxxxx`, spaces and case ignored). */
const CODE = /^[A-Za-z0-9 -]{6,16}$/;

export class MfaTokenDto {
  @ApiProperty({ description: 'The `mfa_token` of the login response.' })
  @IsString()
  @Matches(MFA_TOKEN, { message: 'mfa_token is not an MFA token' })
  mfa_token!: string;
}

export class VerifyMfaDto extends MfaTokenDto {
  @ApiProperty({ enum: MFA_METHODS })
  @IsIn(MFA_METHODS)
  method!: MfaMethod;

  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(CODE, { message: 'code must be 6 digits or a recovery code' })
  code!: string;
}

export class StepUpDto {
  @ApiProperty({ enum: MFA_METHODS })
  @IsIn(MFA_METHODS)
  method!: MfaMethod;

  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(CODE, { message: 'code must be 6 digits or a recovery code' })
  code!: string;
}

export class EnrollTotpDto {
  @ApiPropertyOptional({
    format: 'password',
    description:
      'Required with a session; not with an enrolment token (the password was just given).',
  })
  @IsOptional()
  @IsPasswordInput()
  password?: string;
}

export class ConfirmTotpDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

export class DisableTotpDto {
  @ApiProperty({ format: 'password' })
  @IsPasswordInput()
  password!: string;

  @ApiProperty({
    description: 'A current authenticator code, or an unused recovery code.',
    example: '123456',
  })
  @IsString()
  @Matches(CODE, { message: 'code must be 6 digits or a recovery code' })
  @MaxLength(16)
  code!: string;
}

export class PasswordOnlyDto {
  @ApiProperty({ format: 'password' })
  @IsPasswordInput()
  password!: string;
}
