import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession, Public, RequirePermissions, UserPrincipal } from '@tessera/auth';
import { RateLimit } from '@tessera/rate-limit';
import { TokenPair } from '@tessera/sessions';
import { MfaTokenDto, StepUpDto, VerifyMfaDto } from './dto/mfa.dto';
import { EmailCodeSentDto, StepUpResponseDto } from './dto/mfa-responses.dto';
import { MfaLoginService } from './mfa-login.service';
import { StepUpService } from './step-up.service';

/** The second step of login, and step-up within a session. Thin: DTO in, service, DTO out. */
@ApiTags('mfa')
@Controller('v1/auth')
export class MfaAuthController {
  constructor(
    private readonly login: MfaLoginService,
    private readonly stepUps: StepUpService,
  ) {}

  @Public()
  @RateLimit('auth')
  @Post('mfa/verify')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary:
      'Complete a login with a second factor: { mfa_token, method, code } → access and refresh tokens.',
  })
  @ApiOkResponse({ description: 'The token pair of POST /v1/auth/login.' })
  verify(@Body() dto: VerifyMfaDto): Promise<TokenPair> {
    return this.login.verify(dto.mfa_token, dto.method, dto.code);
  }

  @Public()
  @RateLimit('auth')
  @Post('mfa/email/send')
  @HttpCode(202)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Email a 6-digit code for this login; a new code voids the previous one.',
  })
  @ApiAcceptedResponse({ type: EmailCodeSentDto })
  async sendEmail(@Body() dto: MfaTokenDto): Promise<EmailCodeSentDto> {
    return { expires_in: await this.login.sendEmail(dto.mfa_token) };
  }

  @RequirePermissions('self:write', { credentials: ['session'] })
  @RateLimit('auth')
  @Post('step-up')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary:
      'Re-verify a second factor for the current session (RFC 9470): updates its auth_time, amr and acr; returns a fresh access token.',
  })
  @ApiOkResponse({ type: StepUpResponseDto })
  stepUp(@CurrentSession() p: UserPrincipal, @Body() dto: StepUpDto): Promise<StepUpResponseDto> {
    return this.stepUps.stepUp(p, dto.method, dto.code);
  }

  @RequirePermissions('self:write', { credentials: ['session'] })
  @RateLimit('auth')
  @Post('step-up/email/send')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Email a code for a step-up of the current session (accounts whose factor is email).',
  })
  @ApiAcceptedResponse({ type: EmailCodeSentDto })
  async sendStepUpEmail(@CurrentSession() p: UserPrincipal): Promise<EmailCodeSentDto> {
    return { expires_in: await this.stepUps.sendEmail(p) };
  }
}
