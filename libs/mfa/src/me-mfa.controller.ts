import { Body, Controller, Delete, Get, Header, HttpCode, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  CurrentPrincipal,
  CurrentSession,
  EnrollmentPrincipal,
  Principal,
  RequirePermissions,
  UserPrincipal,
} from '@tessera/auth';
import { ProblemError } from '@tessera/http';
import { RateLimit } from '@tessera/rate-limit';
import { ConfirmTotpDto, DisableTotpDto, EnrollTotpDto, PasswordOnlyDto } from './dto/mfa.dto';
import {
  EnrollmentCompletedDto,
  MfaStatusDto,
  RecoveryCodesDto,
  TotpEnrollmentDto,
} from './dto/mfa-responses.dto';
import { TotpEnrollmentService } from './totp-enrollment.service';

/** The enrolment routes also accept the enrolment token (`mfa_enrollment`); nothing else does. */
function enrollingPerson(p: Principal): UserPrincipal | EnrollmentPrincipal {
  if (p.kind !== 'session' && p.kind !== 'mfa_enrollment')
    throw ProblemError.forbidden('This operation needs a signed-in person.');
  return p;
}

@ApiTags('mfa')
@Controller('v1/me/mfa')
export class MeMfaController {
  constructor(private readonly totp: TotpEnrollmentService) {}

  @RequirePermissions('self:read', { credentials: ['session'] })
  @Get()
  @ApiOperation({
    summary:
      'My second factors: required or not, usable methods, authenticator state, recovery codes left. Never a secret.',
  })
  @ApiOkResponse({ type: MfaStatusDto })
  status(@CurrentSession() p: UserPrincipal): Promise<MfaStatusDto> {
    return this.totp.status(p);
  }

  @RequirePermissions('mfa:enroll', { credentials: ['session', 'mfa_enrollment'] })
  @RateLimit('auth')
  @Post('totp')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Start setting up an authenticator app (current password required with a session): secret, otpauth URI and QR code, once.',
  })
  @ApiCreatedResponse({ type: TotpEnrollmentDto })
  enroll(@CurrentPrincipal() p: Principal, @Body() dto: EnrollTotpDto): Promise<TotpEnrollmentDto> {
    return this.totp.enroll(enrollingPerson(p), dto.password);
  }

  @RequirePermissions('mfa:enroll', { credentials: ['session', 'mfa_enrollment'] })
  @RateLimit('auth')
  @Post('totp/confirm')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Activate the authenticator with a first code: 10 recovery codes, shown once; other sessions end. With an enrolment token, also the login tokens.',
  })
  @ApiOkResponse({ type: EnrollmentCompletedDto })
  confirm(
    @CurrentPrincipal() p: Principal,
    @Body() dto: ConfirmTotpDto,
  ): Promise<EnrollmentCompletedDto> {
    return this.totp.confirm(enrollingPerson(p), dto.code);
  }

  @RequirePermissions('mfa:enroll', { credentials: ['session'] })
  @RateLimit('auth')
  @Delete('totp')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Remove the authenticator and its recovery codes: current password and a code (or a recovery code). Other sessions end.',
  })
  @ApiNoContentResponse()
  async disable(@CurrentSession() p: UserPrincipal, @Body() dto: DisableTotpDto): Promise<void> {
    await this.totp.disable(p, dto.password, dto.code);
  }

  @RequirePermissions('mfa:enroll', { credentials: ['session'] })
  @RateLimit('auth')
  @Post('recovery-codes')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'New recovery codes (current password required); the previous ones stop working. Other sessions end.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  regenerate(
    @CurrentSession() p: UserPrincipal,
    @Body() dto: PasswordOnlyDto,
  ): Promise<RecoveryCodesDto> {
    return this.totp.regenerateRecoveryCodes(p, dto.password);
  }
}
