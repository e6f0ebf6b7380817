import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { MAX_OVERLAP_SECONDS } from '@tessera/api-keys';

export class TokenResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: 'Bearer';
  @ApiProperty({ example: 900 }) expires_in!: number;
  @ApiProperty({ example: 'read users:read' }) scope!: string;
}

export class IntrospectionResponseDto {
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional() scope?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional() sub?: string;
  @ApiPropertyOptional({ description: 'tenant' }) tid?: string;
  @ApiPropertyOptional() exp?: number;
  @ApiPropertyOptional() token_type?: string;
  @ApiPropertyOptional({ type: [String], description: 'Effective permissions now.' }) permissions?: string[];
}

export class AuthorizationServerMetadataDto {
  @ApiProperty() issuer!: string;
  @ApiProperty() token_endpoint!: string;
  @ApiProperty() introspection_endpoint!: string;
  @ApiProperty() revocation_endpoint!: string;
  @ApiProperty() jwks_uri!: string;
  @ApiProperty({ type: [String] }) grant_types_supported!: string[];
  @ApiProperty({ type: [String] }) response_types_supported!: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_signing_alg_values_supported!: string[];
  @ApiProperty({ type: [String] }) introspection_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String] }) introspection_endpoint_auth_signing_alg_values_supported!: string[];
  @ApiProperty({ type: [String] }) revocation_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String] }) revocation_endpoint_auth_signing_alg_values_supported!: string[];
  @ApiProperty({ type: [String] }) scopes_supported!: string[];
}

export class CreateOAuthClientDto {
  @ApiProperty({ minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ format: 'uuid', description: 'The user of this tenant whose permissions the client’s tokens carry (re-evaluated on every request).' })
  @IsUUID()
  userId!: string;

  @ApiPropertyOptional({ type: [String], default: ['execute'], description: 'The most the client may ask for (token requests narrow it with `scope`). Tier 4 is refused.' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(/^[a-z_]+(:[a-z_]+)?$/, { each: true, message: 'each scope must look like resource:action or a tier scope' })
  scopes?: string[];

  @ApiPropertyOptional({ enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'], default: 'client_secret_basic', description: 'A secret client accepts both secret methods.' })
  @IsOptional()
  @IsIn(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

  @ApiPropertyOptional({ description: 'private_key_jwt: the client’s public keys as a JWK Set ({ keys: [...] }).' })
  @IsOptional()
  @IsObject()
  jwks?: { keys: Record<string, unknown>[] };
}

export class RotateSecretDto {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OVERLAP_SECONDS, default: 86400, description: 'How long the old secret keeps working (0 = stops at once).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export class OAuthClientDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'tsr_client_…' }) clientId!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: [String] }) tokenEndpointAuthMethods!: string[];
  @ApiProperty({ enum: ['active', 'disabled'] }) status!: 'active' | 'disabled';
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) rotatedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) previousSecretExpiresAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) lastUsedAt!: Date | null;
}

export class OAuthClientWithSecretDto extends OAuthClientDto {
  @ApiPropertyOptional({ description: 'Shown once (secret clients only); Tessera keeps only its digest.' }) clientSecret?: string;
}

export class OAuthClientListDto {
  @ApiProperty({ type: [OAuthClientDto] }) items!: OAuthClientDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ListClientsQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}
