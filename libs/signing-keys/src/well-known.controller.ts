import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@tessera/auth';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { JwksResponseDto, toJwksResponse } from './dto/jwks.response';
import {
  OpenIdConfigurationResponseDto,
  toOpenIdConfiguration,
} from './dto/openid-configuration.response';
import { tokenIssuer } from './issuer';
import { JWKS_MAX_AGE_SECONDS } from './signing-key.options';
import { SigningKeyService } from './signing-key.service';

/**
 * Public discovery documents. Cacheable, but for less time than a new key is published
 * before it signs (JWKS_MAX_AGE_SECONDS < propagation delay), so a relying party that
 * honours max-age always knows a key before it sees a token signed with it.
 * The default per-IP rate limit applies.
 */
@ApiTags('discovery')
@Controller('.well-known')
export class WellKnownController {
  private readonly issuer: string;

  constructor(
    private readonly keys: SigningKeyService,
    @InjectConfig() config: TesseraConfig,
  ) {
    this.issuer = tokenIssuer(config);
  }

  @Public()
  @Get('jwks.json')
  @Header('Content-Type', 'application/jwk-set+json')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiProduces('application/jwk-set+json')
  @ApiOperation({
    summary: 'JSON Web Key Set of the token signing keys',
    description:
      'Public ES256 keys (RFC 7517) to verify our access tokens by `kid`. Refetch on an unknown kid, at most every few seconds.',
  })
  @ApiOkResponse({ type: JwksResponseDto })
  async jwks(): Promise<JwksResponseDto> {
    return toJwksResponse((await this.keys.jwks()).keys);
  }

  @Public()
  @Get('openid-configuration')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiOperation({
    summary: 'Issuer metadata',
    description:
      'The issuer identifier and where its keys are. Minimal on purpose: lists only endpoints that exist.',
  })
  @ApiOkResponse({ type: OpenIdConfigurationResponseDto })
  openidConfiguration(): OpenIdConfigurationResponseDto {
    return toOpenIdConfiguration(this.issuer);
  }
}
