import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { SLUG_PATTERN } from '../tenant-slug';
import { TenantSettingsDto } from './tenant-settings.dto';

export const trimString = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.normalize('NFKC').trim() : value;
/** Any UUID, including the seeded platform root (all zeros but the last digit), which @IsUUID() refuses. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** No control characters (newlines, NUL...) in a name that ends up in mails and admin UIs. */
export const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

export class CreateTenantDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Acme Retail' })
  @Transform(trimString)
  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL_CHARS, { message: 'name must not contain control characters' })
  name!: string;

  @ApiPropertyOptional({
    pattern: SLUG_PATTERN.source,
    example: 'acme-retail',
    description: 'Platform-wide unique; derived from the name when omitted.',
  })
  @IsOptional()
  @IsString()
  @Matches(SLUG_PATTERN, {
    message: 'slug must be 1-63 characters of a-z, 0-9 and "-", not starting or ending with "-"',
  })
  slug?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "Parent tenant. Default: the platform root for a system admin, the caller's own tenant for a domain admin.",
  })
  @IsOptional()
  @IsString()
  @Matches(UUID_PATTERN, { message: 'parentId must be a UUID' })
  parentId?: string;

  @ApiPropertyOptional({ type: TenantSettingsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TenantSettingsDto)
  settings?: TenantSettingsDto;
}
