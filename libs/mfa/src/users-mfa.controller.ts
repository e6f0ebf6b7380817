import { Controller, Delete, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequirePermissions } from '@tessera/auth';
import { MfaAdminService } from './mfa-admin.service';

@ApiTags('mfa')
@Controller('v1/users/:userId/mfa')
export class UsersMfaController {
  constructor(private readonly admin: MfaAdminService) {}

  @RequirePermissions('mfa:reset', { credentials: ['session'] })
  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Remove a user's second factors (authenticator and recovery codes); every session of the user ends.",
  })
  @ApiNoContentResponse()
  async reset(
    @CurrentPrincipal() p: Principal,
    @Param('userId', new ParseUUIDPipe()) userId: string,
  ): Promise<void> {
    await this.admin.reset(p, userId);
  }
}
