import { ApiProperty } from '@nestjs/swagger';

/**
 * Issuer metadata, deliberately minimal: only what exists today. Authorization, token and
 * userinfo endpoints, supported response types and ID-token algorithms are added by the
 * issues that build them (login is `POST /v1/auth/login`, not an OAuth token endpoint).
 */
export class OpenIdConfigurationResponseDto {
  @ApiProperty({
    example: 'https://id.example.com',
    description: 'The `iss` of every token we sign (PUBLIC_URL)',
  })
  issuer!: string;

  @ApiProperty({ example: 'https://id.example.com/.well-known/jwks.json' })
  jwks_uri!: string;
}

export function toOpenIdConfiguration(issuer: string): OpenIdConfigurationResponseDto {
  return { issuer, jwks_uri: `${issuer}/.well-known/jwks.json` };
}
