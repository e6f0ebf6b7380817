import { ApiPropertyOptional } from '@nestjs/swagger';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@tessera/password';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsFQDN,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export const MAX_ALLOWED_EMAIL_DOMAINS = 50;

/** Same normal form as emails (NFKC, trimmed, lower-case), so a domain compares equal to `emailDomain(email)`. */
function normalizeDomains({ value }: { value: unknown }): unknown {
  if (!Array.isArray(value)) return value;
  const cleaned = value.map((d: unknown) =>
    typeof d === 'string' ? d.normalize('NFKC').trim().toLowerCase() : d,
  );
  return [...new Set(cleaned)];
}

export class MfaSettingsDto {
  @ApiPropertyOptional({
    description:
      'Every user of the tenant must enrol a second factor (enforced by the MFA module).',
  })
  @IsOptional()
  @IsBoolean()
  requiredForAll?: boolean;

  @ApiPropertyOptional({
    description:
      'Elevated users (tenant_admin and above, or holders of a tier-3 permission) may sign in with an emailed code (default false: they need TOTP). Tier-3 operations still need a TOTP step-up.',
  })
  @IsOptional()
  @IsBoolean()
  allowEmailForElevated?: boolean;
}

/** Only stricter than the platform minimum: lower values are refused, not silently ignored. */
export class PasswordPolicySettingsDto {
  @ApiPropertyOptional({
    minimum: PASSWORD_MIN_LENGTH,
    maximum: PASSWORD_MAX_LENGTH,
    description: 'Minimum length in code points.',
  })
  @IsOptional()
  @IsInt()
  @Min(PASSWORD_MIN_LENGTH)
  @Max(PASSWORD_MAX_LENGTH)
  minLength?: number;

  @ApiPropertyOptional({
    enum: [3, 4],
    description: 'Minimum zxcvbn score (the platform requires 3).',
  })
  @IsOptional()
  @IsIn([3, 4])
  minScore?: 3 | 4;
}

/**
 * Session lifetimes may only be shortened (the platform bounds by login assurance are in
 * @tessera/sessions): hours, 1 h to 90 days.
 */
export class SessionSettingsDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 2160, description: 'Refresh idle (sliding) lifetime cap, hours.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2160)
  idleHours?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 2160, description: 'Session absolute lifetime cap, hours.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2160)
  absoluteHours?: number;
}

/** API rate limits of the tenant (token buckets): requests per minute sustained, bursts up to `burst`. */
export class RateLimitSettingsDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Authenticated API requests per minute for the whole tenant (platform default 100).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  perMinute?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Burst size for the whole tenant (platform default 200).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  burst?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Requests per minute per API key, S2S token or OAuth client (platform default 100).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  credentialPerMinute?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Burst size per API key, S2S token or OAuth client (platform default 200).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  credentialBurst?: number;
}

/**
 * Tenant settings. Unknown keys, at any depth, are refused by the global ValidationPipe
 * (whitelist + forbidNonWhitelisted reach nested objects through @ValidateNested).
 * On PATCH a key set to null removes that setting.
 */
export class TenantSettingsDto {
  @ApiPropertyOptional({ type: MfaSettingsDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MfaSettingsDto)
  mfa?: MfaSettingsDto | null;

  @ApiPropertyOptional({ type: SessionSettingsDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SessionSettingsDto)
  session?: SessionSettingsDto | null;

  @ApiPropertyOptional({ type: RateLimitSettingsDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RateLimitSettingsDto)
  rateLimit?: RateLimitSettingsDto | null;

  @ApiPropertyOptional({ type: PasswordPolicySettingsDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PasswordPolicySettingsDto)
  passwordPolicy?: PasswordPolicySettingsDto | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: MAX_ALLOWED_EMAIL_DOMAINS,
    example: ['example.com'],
    description:
      'When non-empty, users of this tenant must have an email in one of these domains. Lower-cased; empty or null lifts the restriction.',
  })
  @IsOptional()
  @Transform(normalizeDomains)
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_EMAIL_DOMAINS)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  @IsFQDN(
    {
      require_tld: true,
      allow_underscores: false,
      allow_trailing_dot: false,
      allow_wildcard: false,
    },
    { each: true },
  )
  allowedEmailDomains?: string[] | null;
}
