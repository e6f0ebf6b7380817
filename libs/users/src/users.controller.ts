import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequirePermissions } from '@tessera/auth';
import { InviteUserDto, TenantScopeQueryDto } from './dto/invite-user.dto';
import { ListUsersQueryDto } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserDto, UserDto, UserListDto } from './dto/user.dto';
import { InvitationService } from './invitation.service';
import { UsersService } from './users.service';
import { userActor } from './users-actor';

/**
 * Admin API over users (tenant_admin and above). The tenant comes from the caller, or from
 * `?tenantId=` on list and invite for domain/system admins acting in a descendant tenant;
 * a user id out of the caller's reach is 404.
 */
@ApiTags('users')
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly invitations: InvitationService,
  ) {}

  @Post('invitations')
  @RequirePermissions('users:invite')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Invite a user: creates it pending and mails an activation link (7 days, single use).',
  })
  @ApiCreatedResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: 'validation-failed, email-domain-not-allowed' })
  @ApiConflictResponse({
    description:
      'email-taken (the email has an account somewhere on the platform), tenant-suspended',
  })
  async invite(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: InviteUserDto,
    @Query() query: TenantScopeQueryDto,
  ): Promise<UserDto> {
    const { user } = await this.invitations.invite(userActor(principal), dto, {
      tenantId: query.tenantId,
    });
    return toUserDto(user);
  }

  @Post(':id/invitation/resend')
  @RequirePermissions('users:invite')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Mail a pending user a new activation link; the previous link stops working.',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'user-not-pending' })
  async resendInvitation(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<UserDto> {
    const { user } = await this.invitations.resend(userActor(principal), id);
    return toUserDto(user);
  }

  @Get()
  @RequirePermissions('users:read')
  @ApiOperation({
    summary: 'List the users of a tenant, oldest first, with cursor pagination and filters.',
  })
  @ApiOkResponse({ type: UserListDto })
  @ApiBadRequestResponse({ description: 'validation-failed, invalid-cursor' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListUsersQueryDto,
  ): Promise<UserListDto> {
    const page = await this.users.list(userActor(principal), query);
    return { items: page.items.map(toUserDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @RequirePermissions('users:read')
  @ApiOperation({ summary: 'Get a user.' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<UserDto> {
    return toUserDto(await this.users.get(userActor(principal), id));
  }

  @Patch(':id')
  @RequirePermissions('users:update')
  @ApiOperation({
    summary: "Change a user's name (roles: PUT /v1/users/:id/roles; status: disable/enable).",
  })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserDto> {
    return toUserDto(await this.users.updateName(userActor(principal), id, dto.name));
  }

  @Post(':id/disable')
  @RequirePermissions('users:disable')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Disable a user: it can no longer authenticate; its sessions are revoked.',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'cannot-target-self, last-admin' })
  async disable(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<UserDto> {
    return toUserDto(await this.users.disable(userActor(principal), id));
  }

  @Post(':id/enable')
  @RequirePermissions('users:disable')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Re-enable a disabled user (active, or pending if it never set a password).',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  async enable(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<UserDto> {
    return toUserDto(await this.users.enable(userActor(principal), id));
  }

  @Delete(':id')
  @RequirePermissions('users:delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a user.' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'cannot-target-self, last-admin' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.users.delete(userActor(principal), id);
  }
}
