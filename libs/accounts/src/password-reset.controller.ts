import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiGoneResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Public } from '@tessera/auth';
import { RateLimit } from '@tessera/rate-limit';
import {
  AcceptedResponseDto,
  AccountResponses,
  EmailOnlyDto,
  PasswordResetResponseDto,
  ResetPasswordDto,
} from './dto';
import { PasswordResetService } from './password-reset.service';

const TOO_MANY = 'Per-IP limit of the auth category reached (problem `rate-limited`, Retry-After).';

/** Forgotten password: request a link, then set a new password with it. */
@ApiTags('auth')
@Controller('v1/auth/password')
export class PasswordResetController {
  constructor(private readonly resets: PasswordResetService) {}

  @Public()
  @RateLimit('auth')
  @Post('forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Mail a password reset link (valid 30 minutes, single use).',
    description:
      'Always 202 with the same body, in about the same time, whether or not the address has an account.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiBadRequestResponse({ description: '`validation-failed`.' })
  @ApiTooManyRequestsResponse({ description: TOO_MANY })
  async forgot(@Body() dto: EmailOnlyDto): Promise<AcceptedResponseDto> {
    await this.resets.requestReset(dto.email);
    return AccountResponses.resetRequested();
  }

  @Public()
  @RateLimit('auth')
  @Post('reset')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Set a new password with a reset link.',
    description:
      'The password policy is checked before the link is used, so a refused password leaves the link valid.',
  })
  @ApiOkResponse({ type: PasswordResetResponseDto })
  @ApiBadRequestResponse({
    description: '`weak-password`, `link-invalid` or `validation-failed` (oversized password).',
  })
  @ApiGoneResponse({ description: '`link-used`, `link-replaced` or `link-expired`.' })
  @ApiTooManyRequestsResponse({ description: TOO_MANY })
  async reset(@Body() dto: ResetPasswordDto): Promise<PasswordResetResponseDto> {
    await this.resets.resetPassword(dto.token, dto.password);
    return AccountResponses.passwordReset();
  }
}
