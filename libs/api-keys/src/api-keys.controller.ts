import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequirePermissions } from '@tessera/auth';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, ApiKeyListDto, ApiKeyWithSecretDto, CreateApiKeyDto, CreateS2sTokenDto, ListKeysQueryDto, RotateDto, TenantQueryDto } from './dto/api-key.dto';

/**
 * API keys. Minting, rotating and revoking need a signed-in person (`session`): a leaked
 * key can neither mint more keys nor keep itself alive by rotation, nor lock its owner out.
 * Reading is open to every credential type with `api_keys:read`.
 */
@ApiTags('api-keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @RequirePermissions('api_keys:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.CREATED)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Create an API key (yours, or another user’s with api_keys:manage). The key is in this answer only.' })
  @ApiCreatedResponse({ type: ApiKeyWithSecretDto })
  @ApiBadRequestResponse({ description: 'validation-failed, unknown-scope, scope-not-delegable' })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateApiKeyDto): Promise<ApiKeyWithSecretDto> {
    return this.keys.createKey(p, dto);
  }

  @Get()
  @RequirePermissions('api_keys:read')
  @ApiOperation({ summary: 'Your API keys; `?userId=` or `?all=true` with api_keys:manage. Never secrets.' })
  @ApiOkResponse({ type: ApiKeyListDto })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListKeysQueryDto): Promise<ApiKeyListDto> {
    return this.keys.listKeys(p, q);
  }

  @Get(':id')
  @RequirePermissions('api_keys:read')
  @ApiOperation({ summary: 'One API key (yours, or any in the tenant with api_keys:manage).' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQueryDto): Promise<ApiKeyDto> {
    return this.keys.getKey(p, id);
  }

  @Post(':id/rotate')
  @RequirePermissions('api_keys:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'New secret; the old one keeps working for overlapSeconds (default 24 h), then dies.' })
  @ApiOkResponse({ type: ApiKeyWithSecretDto })
  rotate(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: RotateDto, @Query() _q: TenantQueryDto): Promise<ApiKeyWithSecretDto> {
    return this.keys.rotateKey(p, id, dto.overlapSeconds);
  }

  @Delete(':id')
  @RequirePermissions('api_keys:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke: refused on every instance from the next request.' })
  @ApiNoContentResponse()
  async revoke(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQueryDto): Promise<void> {
    await this.keys.revokeKey(p, id);
  }
}

/** S2S tokens: keys of a named integration with a role of its own, never above its creator's. */
@ApiTags('api-keys')
@Controller('v1/s2s-tokens')
export class S2sTokensController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @RequirePermissions('s2s_tokens:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.CREATED)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Create an S2S token for a named integration (role ≤ yours). The token is in this answer only.' })
  @ApiCreatedResponse({ type: ApiKeyWithSecretDto })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateS2sTokenDto): Promise<ApiKeyWithSecretDto> {
    return this.keys.createS2s(p, dto);
  }

  @Get()
  @RequirePermissions('s2s_tokens:write')
  @ApiOperation({ summary: 'The tenant’s S2S tokens (never secrets).' })
  @ApiOkResponse({ type: ApiKeyListDto })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListKeysQueryDto): Promise<ApiKeyListDto> {
    return this.keys.listS2s(p, q);
  }

  @Get(':id')
  @RequirePermissions('s2s_tokens:write')
  @ApiOperation({ summary: 'One S2S token.' })
  @ApiOkResponse({ type: ApiKeyDto })
  get(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQueryDto): Promise<ApiKeyDto> {
    return this.keys.getS2s(p, id);
  }

  @Post(':id/rotate')
  @RequirePermissions('s2s_tokens:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'New secret with an overlap for the old one (default 24 h).' })
  @ApiOkResponse({ type: ApiKeyWithSecretDto })
  rotate(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: RotateDto, @Query() _q: TenantQueryDto): Promise<ApiKeyWithSecretDto> {
    return this.keys.rotateS2s(p, id, dto.overlapSeconds);
  }

  @Delete(':id')
  @RequirePermissions('s2s_tokens:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an S2S token everywhere at once.' })
  @ApiNoContentResponse()
  async revoke(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQueryDto): Promise<void> {
    await this.keys.revokeS2s(p, id);
  }
}
