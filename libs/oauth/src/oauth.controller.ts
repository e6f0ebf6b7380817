import { Body, Controller, Get, Header, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@tessera/auth';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { RateLimit } from '@tessera/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ASSERTION_ALGS, ClientAuthentication, param } from './client-authentication.service';
import { AuthorizationServerMetadataDto, IntrospectionResponseDto, TokenResponseDto } from './dto/oauth.dto';
import { OAuthErrorFilter } from './oauth-error.filter';
import { OAuthError } from './oauth.errors';
import { IntrospectionResponse, OAuthTokensService, TokenResponse } from './oauth-tokens.service';

const FORM = 'application/x-www-form-urlencoded';

/** RFC 6749 §3.2: form-encoded POST bodies only; each parameter at most once. */
function formBody(req: FastifyRequest, body: unknown): Record<string, unknown> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== FORM) throw OAuthError.invalidRequest(`Send the parameters as ${FORM}.`);
  return (body ?? {}) as Record<string, unknown>;
}

/**
 * The OAuth 2.0 endpoints for machines: client credentials (RFC 6749 §4.4), introspection
 * (RFC 7662) and revocation (RFC 7009). Public routes in the guard chain's sense: the client
 * authenticates itself here (Basic, POST or private_key_jwt), per request. Errors are RFC
 * 6749 error objects. The per-IP `auth` limit applies before the client is known, the
 * per-client bucket after.
 */
@ApiTags('oauth')
@Controller('oauth')
@UseFilters(OAuthErrorFilter)
export class OAuthController {
  constructor(
    private readonly clients: ClientAuthentication,
    private readonly tokens: OAuthTokensService,
  ) {}

  @Public()
  @RateLimit('auth')
  @Post('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiConsumes(FORM)
  @ApiOperation({ summary: 'grant_type=client_credentials → RFC 9068 access token (15 min, no refresh token). client_secret_basic, client_secret_post or private_key_jwt.' })
  @ApiOkResponse({ type: TokenResponseDto })
  async token(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() raw: unknown): Promise<TokenResponse> {
    const body = formBody(req, raw);
    const client = await this.clients.authenticate(req, body, '/oauth/token');
    const grantType = param(body, 'grant_type');
    if (!grantType) throw OAuthError.invalidRequest('grant_type is missing.');
    if (grantType !== 'client_credentials') throw OAuthError.unsupportedGrantType();
    param(body, 'scope');
    return this.tokens.clientCredentials(client, body, (h) => void reply.headers(h));
  }

  @Public()
  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes(FORM)
  @ApiOperation({ summary: 'RFC 7662 for our access tokens, refresh tokens and API keys. A client sees its own tokens; others need tokens:introspect.' })
  @ApiOkResponse({ type: IntrospectionResponseDto })
  async introspect(@Req() req: FastifyRequest, @Body() raw: unknown): Promise<IntrospectionResponse> {
    const body = formBody(req, raw);
    const client = await this.clients.authenticate(req, body, '/oauth/introspect');
    const token = param(body, 'token');
    if (!token) throw OAuthError.invalidRequest('token is missing.');
    param(body, 'token_type_hint');
    return this.tokens.introspect(client, token);
  }

  @Public()
  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes(FORM)
  @ApiOperation({ summary: 'RFC 7009. Never another client’s tokens (unauthorized_client). Unknown tokens: 200.' })
  async revoke(@Req() req: FastifyRequest, @Body() raw: unknown): Promise<void> {
    const body = formBody(req, raw);
    const client = await this.clients.authenticate(req, body, '/oauth/revoke');
    const token = param(body, 'token');
    if (!token) throw OAuthError.invalidRequest('token is missing.');
    param(body, 'token_type_hint');
    await this.tokens.revoke(client, token);
  }
}

/** RFC 8414 authorization server metadata: only what exists. */
@ApiTags('oauth')
@Controller('.well-known')
export class OAuthMetadataController {
  private readonly metadata: AuthorizationServerMetadataDto;

  constructor(@InjectConfig() config: TesseraConfig) {
    const issuer = config.http.publicUrl;
    const methods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
    this.metadata = {
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: methods,
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      introspection_endpoint_auth_methods_supported: methods,
      introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      revocation_endpoint_auth_methods_supported: methods,
      revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      scopes_supported: OAuthTokensService.scopesSupported(),
    };
  }

  @Public()
  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'RFC 8414 metadata: token, introspection and revocation endpoints, grant types, client authentication methods, JWKS.' })
  @ApiOkResponse({ type: AuthorizationServerMetadataDto })
  get(): AuthorizationServerMetadataDto {
    return this.metadata;
  }
}
