import { Body, Controller, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { CurrentSession, RequirePermissions, UserPrincipal } from '@tessera/auth';
import { RateLimit } from '@tessera/rate-limit';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { SelfService } from './self-service.service';

/** The signed-in user's own account. (`GET /v1/me` comes with the Sessions issue.) */
@ApiTags('me')
@Controller('v1/me')
export class MeController {
  constructor(private readonly self: SelfService) {}

  @Patch()
  @RequirePermissions('self:write', { credentials: ['session'] })
  @ApiOperation({ summary: 'Change your own name.' })
  @ApiOkResponse({ type: UserDto })
  async update(
    @CurrentSession() principal: UserPrincipal,
    @Body() dto: UpdateUserDto,
  ): Promise<UserDto> {
    return toUserDto(await this.self.updateName(principal, dto.name));
  }

  @Post('password')
  @RequirePermissions('self:write', { credentials: ['session'] })
  @RateLimit('auth')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary:
      'Change your password; the current one is required. Other sessions are revoked (Sessions issue).',
  })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({
    description: 'validation-failed, weak-password, invalid-current-password',
  })
  @ApiTooManyRequestsResponse({
    description: 'rate-limited: per IP, and 5 attempts per user per 15 minutes',
  })
  async changePassword(
    @CurrentSession() principal: UserPrincipal,
    @Body() dto: ChangePasswordDto,
  ): Promise<void> {
    await this.self.changePassword(principal, dto.currentPassword, dto.newPassword);
  }
}
