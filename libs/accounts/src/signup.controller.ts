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
  SignupDto,
  VerifyEmailDto,
  VerifyEmailResponseDto,
} from './dto';
import { EmailVerificationService } from './email-verification.service';
import { SignupService } from './signup.service';

const TOO_MANY = 'Per-IP limit of the auth category reached (problem `rate-limited`, Retry-After).';

/** Self-service sign-up and email verification. Anonymous by nature; limited per IP and per address. */
@ApiTags('auth')
@Controller('v1/auth')
export class SignupController {
  constructor(
    private readonly signup: SignupService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Public()
  @RateLimit('auth')
  @Post('signup')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Sign up: a new pending tenant and its first admin; mails a verification link.',
    description:
      'Always 202 with the same body, whether or not the address already has an account (its owner is ' +
      'then told by mail instead). 400 `weak-password` lists every broken password rule.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiBadRequestResponse({
    description: '`validation-failed` or `weak-password` (decided from the input alone).',
  })
  @ApiTooManyRequestsResponse({ description: TOO_MANY })
  async signUp(@Body() dto: SignupDto): Promise<AcceptedResponseDto> {
    await this.signup.signUp(dto);
    return AccountResponses.verificationSent();
  }

  @Public()
  @RateLimit('auth')
  @Post('verify-email')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Consume an email verification link: activates the user and its pending tenant.',
  })
  @ApiOkResponse({ type: VerifyEmailResponseDto })
  @ApiBadRequestResponse({
    description: '`link-invalid` (unknown or malformed token) or `validation-failed`.',
  })
  @ApiGoneResponse({
    description: '`link-used`, `link-replaced` (a newer link was sent) or `link-expired`.',
  })
  @ApiTooManyRequestsResponse({ description: TOO_MANY })
  async verifyEmail(@Body() dto: VerifyEmailDto): Promise<VerifyEmailResponseDto> {
    await this.verification.verify(dto.token);
    return AccountResponses.verified();
  }

  @Public()
  @RateLimit('auth')
  @Post('verify-email/resend')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Send a new verification link (the older one stops working).',
    description:
      'Always 202 with the same body; a link is sent only to a sign-up still waiting for verification.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiBadRequestResponse({ description: '`validation-failed`.' })
  @ApiTooManyRequestsResponse({ description: TOO_MANY })
  async resend(@Body() dto: EmailOnlyDto): Promise<AcceptedResponseDto> {
    await this.verification.resend(dto.email);
    return AccountResponses.verificationSent();
  }
}
