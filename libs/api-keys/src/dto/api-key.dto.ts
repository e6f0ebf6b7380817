import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { GENERAL_ROLES } from '@tessera/auth';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/** Rotation overlap: the old secret keeps working this long (default 24 h, at most 7 days). */
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

const SCOPE = /^[a-z_]+(:[a-z_]+)?$/;

class CredentialInputDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'CI deploy' })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiPropertyOptional({ maxLength: 500, example: 'Deploys from the CI pipeline of repo X' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  purpose?: string;

  @ApiProperty({
    type: [String],
    example: ['users:read', 'read'],
    description: 'Permissions from the registry, or the tier scopes read (tier 1), write (tiers 1–2), execute (tiers 1–3) and ai:read/ai:write/ai:execute. Tier 4 is refused.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(SCOPE, { each: true, message: 'each scope must look like resource:action or a tier scope' })
  scopes!: string[];

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Optional expiry; the credential stops working then.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;

  @ApiPropertyOptional({ enum: ['live', 'test'], default: 'live', description: '`test` keys (tsr_test_…) are marked in every audit row and in /v1/me.' })
  @IsOptional()
  @IsIn(['live', 'test'])
  mode?: 'live' | 'test';
}

export class CreateApiKeyDto extends CredentialInputDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Owner, when minting for another user of the tenant (needs api_keys:manage). Default: the caller.' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class CreateS2sTokenDto extends CredentialInputDto {
  @ApiProperty({ enum: GENERAL_ROLES, description: 'The integration’s role; never above the creator’s.' })
  @IsIn(GENERAL_ROLES)
  role!: (typeof GENERAL_ROLES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'A descendant tenant the creator administers (domain admins). Default: the caller’s.' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

export class RotateDto {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OVERLAP_SECONDS, default: DEFAULT_OVERLAP_SECONDS, description: 'How long the old secret keeps working (0 = stops at once).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export class ListKeysQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Keys of this user (needs api_keys:manage unless it is the caller).' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ description: 'Every key of the tenant (needs api_keys:manage).' })
  @IsOptional()
  @Type(() => Boolean)
  @IsBoolean()
  all?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'A descendant tenant (domain admins).' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page (nextCursor).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class TenantQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'A descendant tenant (domain admins).' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

/** A key or S2S token as listed: never its secret. */
export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['api_key', 's2s'] }) kind!: 'api_key' | 's2s';
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() purpose!: string;
  @ApiProperty({ example: 'tsr_live_3kTMd9Q2xLp0aB7c', description: 'Recognises the key; does not authenticate.' }) prefix!: string;
  @ApiProperty({ enum: ['live', 'test'] }) mode!: 'live' | 'test';
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) userId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'S2S tokens: the integration’s role.' }) role!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty({ enum: ['active', 'expired', 'revoked'] }) status!: 'active' | 'expired' | 'revoked';
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) expiresAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) rotatedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: 'Until when the previous secret still works after a rotation.' }) previousSecretExpiresAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: 'Recorded in batches: up to a few seconds behind.' }) lastUsedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedIp!: string | null;
}

/** Creation and rotation: the only answers that carry the secret. */
export class ApiKeyWithSecretDto extends ApiKeyDto {
  @ApiProperty({ example: 'tsr_live_…', description: 'The full key. Shown once: store it now; Tessera keeps only its digest.' })
  key!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] }) items!: ApiKeyDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
