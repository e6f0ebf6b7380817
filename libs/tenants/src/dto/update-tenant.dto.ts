import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { NO_CONTROL_CHARS, trimString } from './create-tenant.dto';
import { TenantSettingsDto } from './tenant-settings.dto';

/** What an admin may set (suspend/activate); `pending` is reserved for sign-ups awaiting verification. */
export const SETTABLE_TENANT_STATUSES = ['active', 'suspended'] as const;
export type SettableTenantStatus = (typeof SETTABLE_TENANT_STATUSES)[number];

/**
 * Deliberately without id, parentId, slug, tenantId or status (POST :id/suspend|activate): the global ValidationPipe refuses
 * any property not declared here (400), so they cannot be mass-assigned.
 */
export class UpdateTenantDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @Transform(trimString)
  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL_CHARS, { message: 'name must not contain control characters' })
  name?: string;

  @ApiPropertyOptional({
    type: TenantSettingsDto,
    description:
      'Merged by top-level key: a key given replaces that setting, a key set to null removes it, absent keys stay.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TenantSettingsDto)
  settings?: TenantSettingsDto;
}
