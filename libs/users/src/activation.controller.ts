import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiGoneResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Public } from '@tessera/auth';
import { RateLimit } from '@tessera/rate-limit';
import { ActivateDto, ActivationResultDto } from './dto/activate.dto';
import { ActivationService } from './activation.service';

@ApiTags('auth')
@Controller('v1/auth')
export class ActivationController {
  constructor(private readonly activation: ActivationService) {}

  @Post('activate')
  @Public()
  @RateLimit('auth')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Accept an invitation: set the password (policy enforced) and activate the user.',
  })
  @ApiOkResponse({ type: ActivationResultDto })
  @ApiBadRequestResponse({
    description:
      'validation-failed, weak-password (lists every broken rule; the link stays usable), link-invalid',
  })
  @ApiGoneResponse({ description: 'link-used, link-replaced, link-expired' })
  @ApiTooManyRequestsResponse({
    description: 'rate-limited: per IP, and 5 attempts per link per 15 minutes',
  })
  async activate(@Body() dto: ActivateDto): Promise<ActivationResultDto> {
    await this.activation.activate(dto.token, dto.password);
    return { status: 'active' };
  }
}
