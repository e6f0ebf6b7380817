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
  Put,
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
import { TenantScopeQueryDto } from '@tessera/users';
import {
  AssignRolesDto,
  CreateRoleDto,
  PermissionDto,
  RoleDto,
  RoleListDto,
  UpdateRoleDto,
  UserRolesDto,
} from './dto/roles.dto';
import { RoleAssignmentService } from './role-assignment.service';
import { PERMISSION_LIST, RolesService } from './roles.service';

/**
 * Roles of a tenant: the built-in general and task roles (read-only) and the tenant's custom
 * task roles. The tenant is the caller's own, or `?tenantId=` for a domain/system admin
 * acting in a descendant (checked by the tenant-context guard).
 */
@ApiTags('roles')
@Controller('v1/roles')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get()
  @RequirePermissions('roles:read')
  @ApiOperation({
    summary: 'Built-in roles and the custom task roles of the tenant, with their permissions.',
  })
  @ApiOkResponse({ type: RoleListDto })
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() _q: TenantScopeQueryDto,
  ): Promise<RoleListDto> {
    return { items: await this.roles.list(p) };
  }

  @Get(':id')
  @RequirePermissions('roles:read')
  @ApiOperation({ summary: 'One role: a custom role by id, a built-in one by name.' })
  @ApiOkResponse({ type: RoleDto })
  @ApiNotFoundResponse()
  get(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() _q: TenantScopeQueryDto,
  ): Promise<RoleDto> {
    return this.roles.get(p, id);
  }

  @Post()
  @RequirePermissions('roles:write')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Define a custom task role from registry permissions you hold (tier 4 excluded).',
  })
  @ApiCreatedResponse({ type: RoleDto })
  @ApiBadRequestResponse({
    description: 'validation-failed, unknown-permission, tier4-not-allowed, role-name-reserved',
  })
  @ApiConflictResponse({ description: 'role-name-taken' })
  create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateRoleDto,
    @Query() _q: TenantScopeQueryDto,
  ): Promise<RoleDto> {
    return this.roles.create(p, dto);
  }

  @Patch(':id')
  @RequirePermissions('roles:write')
  @ApiOperation({
    summary:
      'Rename a custom role or change its description or permissions; holders are affected on their next request.',
  })
  @ApiOkResponse({ type: RoleDto })
  @ApiNotFoundResponse()
  update(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateRoleDto,
    @Query() _q: TenantScopeQueryDto,
  ): Promise<RoleDto> {
    return this.roles.update(p, id, dto);
  }

  @Delete(':id')
  @RequirePermissions('roles:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a custom role; every holder loses it on their next request.' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async remove(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() _q: TenantScopeQueryDto,
  ): Promise<void> {
    await this.roles.remove(p, id);
  }
}

@ApiTags('roles')
@Controller('v1/permissions')
export class PermissionsController {
  @Get()
  @RequirePermissions('roles:read')
  @ApiOperation({
    summary: 'The permission registry: every permission with its description and risk tier.',
  })
  @ApiOkResponse({ type: [PermissionDto] })
  list(): PermissionDto[] {
    return PERMISSION_LIST();
  }
}

@ApiTags('roles')
@Controller('v1/users/:id/roles')
export class UserRolesController {
  constructor(private readonly assignments: RoleAssignmentService) {}

  @Get()
  @RequirePermissions('users:read')
  @ApiOperation({ summary: "A user's general role, task roles and effective permissions." })
  @ApiOkResponse({ type: UserRolesDto })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<UserRolesDto> {
    return this.assignments.get(p, id);
  }

  @Put()
  @RequirePermissions('roles:assign')
  @ApiOperation({
    summary: "Replace a user's general role and task roles (never above your own; not your own).",
  })
  @ApiOkResponse({ type: UserRolesDto })
  @ApiBadRequestResponse({ description: 'validation-failed, unknown-role' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'cannot-target-self, last-admin' })
  set(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Body() dto: AssignRolesDto,
  ): Promise<UserRolesDto> {
    return this.assignments.set(p, id, dto);
  }
}
