import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequirePermissions } from '@tessera/auth';
import { CreateTenantDto } from './dto/create-tenant.dto';
import { ListChildrenQueryDto } from './dto/list-children.query';
import {
  TenantPageResponseDto,
  TenantResponseDto,
  toTenantPageResponse,
  toTenantResponse,
} from './dto/tenant.response';
import { UpdateTenantDto } from './dto/update-tenant.dto';
import { TenantsService } from './tenants.service';

/**
 * Thin: validated DTO + principal in, response DTO out. Which tenant the caller may act
 * in is decided by TenantsService (TenantAccess), the same for the API and the CLI.
 */
@ApiTags('tenants')
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(201)
  @RequirePermissions('tenants:create')
  @ApiOperation({
    summary: 'Create a tenant',
    description:
      'A system admin creates a top-level tenant (parentId omitted: under the platform root) or one under any tenant; a domain admin creates one under its own tenant (the default) or a descendant.',
  })
  @ApiCreatedResponse({ type: TenantResponseDto })
  @ApiBadRequestResponse({ description: 'validation-failed' })
  @ApiConflictResponse({ description: 'slug-taken, parent-not-active' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateTenantDto,
  ): Promise<TenantResponseDto> {
    return toTenantResponse(await this.tenants.create(principal, dto));
  }

  @Get(':id')
  @RequirePermissions('tenants:read')
  @ApiOperation({
    summary: 'Read a tenant',
    description: 'Its own tenant admins, or a domain/system admin above it. Any other id is 404.',
  })
  @ApiOkResponse({ type: TenantResponseDto })
  @ApiNotFoundResponse({ description: 'not-found (also for a tenant the caller cannot act in)' })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<TenantResponseDto> {
    return toTenantResponse(await this.tenants.get(principal, id));
  }

  @Patch(':id')
  @RequirePermissions('tenants:update')
  @ApiOperation({
    summary: 'Update a tenant',
    description:
      "Name and settings: the tenant's admins or an admin above it. Status moves through POST :id/suspend and :id/activate.",
  })
  @ApiOkResponse({ type: TenantResponseDto })
  @ApiBadRequestResponse({
    description:
      'validation-failed (including any field not listed, e.g. slug, parentId, tenantId)',
  })
  @ApiNotFoundResponse({ description: 'not-found' })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateTenantDto,
  ): Promise<TenantResponseDto> {
    return toTenantResponse(await this.tenants.update(principal, id, dto));
  }

  @Post(':id/suspend')
  @HttpCode(HttpStatus.OK)
  @RequirePermissions('tenants:suspend')
  @ApiOperation({
    summary: 'Suspend a tenant: every session in it ends; nobody in it can log in.',
    description: "Only a domain/system admin above the tenant (never its own tenant); the platform root's never.",
  })
  @ApiOkResponse({ type: TenantResponseDto })
  @ApiNotFoundResponse({ description: 'not-found' })
  async suspend(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TenantResponseDto> {
    return toTenantResponse(await this.tenants.update(principal, id, { status: 'suspended' }));
  }

  @Post(':id/activate')
  @HttpCode(HttpStatus.OK)
  @RequirePermissions('tenants:suspend')
  @ApiOperation({ summary: 'Reactivate a suspended tenant (same access as suspending it).' })
  @ApiOkResponse({ type: TenantResponseDto })
  @ApiNotFoundResponse({ description: 'not-found' })
  async activate(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TenantResponseDto> {
    return toTenantResponse(await this.tenants.update(principal, id, { status: 'active' }));
  }

  @Get(':id/children')
  @RequirePermissions('tenants:read')
  @ApiOperation({
    summary: 'List the direct children of a tenant',
    description: 'Oldest first; cursor pagination. Same access as reading the tenant.',
  })
  @ApiOkResponse({ type: TenantPageResponseDto })
  @ApiBadRequestResponse({ description: 'validation-failed, invalid-cursor' })
  @ApiNotFoundResponse({ description: 'not-found' })
  async children(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: ListChildrenQueryDto,
  ): Promise<TenantPageResponseDto> {
    return toTenantPageResponse(await this.tenants.children(principal, id, query));
  }
}
