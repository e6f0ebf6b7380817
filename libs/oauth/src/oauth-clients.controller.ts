import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequirePermissions } from '@tessera/auth';
import { CreateOAuthClientDto, ListClientsQueryDto, OAuthClientDto, OAuthClientListDto, OAuthClientWithSecretDto, RotateSecretDto } from './dto/oauth.dto';
import { OAuthClientsService } from './oauth-clients.service';

class TenantQuery extends ListClientsQueryDto {}

/** OAuth clients of the tenant. Changes need a signed-in person: a client token never mints or re-keys clients. */
@ApiTags('oauth')
@Controller('v1/oauth-clients')
export class OAuthClientsController {
  constructor(private readonly clients: OAuthClientsService) {}

  @Post()
  @RequirePermissions('oauth_clients:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.CREATED)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Create a confidential client acting for a user of the tenant. client_secret is in this answer only.' })
  @ApiCreatedResponse({ type: OAuthClientWithSecretDto })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateOAuthClientDto): Promise<OAuthClientWithSecretDto> {
    return this.clients.create(p, dto);
  }

  @Get()
  @RequirePermissions('oauth_clients:read')
  @ApiOperation({ summary: 'The tenant’s OAuth clients (never secrets).' })
  @ApiOkResponse({ type: OAuthClientListDto })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListClientsQueryDto): Promise<OAuthClientListDto> {
    return this.clients.list(p, q);
  }

  @Get(':id')
  @RequirePermissions('oauth_clients:read')
  @ApiOkResponse({ type: OAuthClientDto })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQuery): Promise<OAuthClientDto> {
    return this.clients.get(p, id);
  }

  @Post(':id/disable')
  @RequirePermissions('oauth_clients:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Disable: no new tokens, and its live tokens stop on every instance at once.' })
  @ApiOkResponse({ type: OAuthClientDto })
  disable(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQuery): Promise<OAuthClientDto> {
    return this.clients.setStatus(p, id, 'disabled');
  }

  @Post(':id/enable')
  @RequirePermissions('oauth_clients:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OAuthClientDto })
  enable(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQuery): Promise<OAuthClientDto> {
    return this.clients.setStatus(p, id, 'active');
  }

  @Post(':id/rotate-secret')
  @RequirePermissions('oauth_clients:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'New client_secret; the old one keeps working for overlapSeconds (default 24 h).' })
  @ApiOkResponse({ type: OAuthClientWithSecretDto })
  rotate(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: RotateSecretDto, @Query() _q: TenantQuery): Promise<OAuthClientWithSecretDto> {
    return this.clients.rotateSecret(p, id, dto.overlapSeconds);
  }

  @Delete(':id')
  @RequirePermissions('oauth_clients:write', { credentials: ['session'] })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async delete(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() _q: TenantQuery): Promise<void> {
    await this.clients.delete(p, id);
  }
}
