import { ApiProperty } from '@nestjs/swagger';
import type { TenantSettings, TenantStatus } from '../tenant.entity';
import type { TenantPage, TenantRecord } from '../tenant-record';
import { TenantSettingsDto } from './tenant-settings.dto';

export class TenantResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Null only for the platform root.',
  })
  parentId!: string | null;

  @ApiProperty()
  slug!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ['pending', 'active', 'suspended'] })
  status!: TenantStatus;

  @ApiProperty({ type: TenantSettingsDto })
  settings!: TenantSettings;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class TenantPageResponseDto {
  @ApiProperty({ type: [TenantResponseDto] })
  items!: TenantResponseDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor!: string | null;
}

/** The explicit mapper: the response never carries the tree internals (`path`). */
export function toTenantResponse(t: TenantRecord): TenantResponseDto {
  return {
    id: t.id,
    parentId: t.parentId,
    slug: t.slug,
    name: t.name,
    status: t.status,
    settings: t.settings,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export function toTenantPageResponse(page: TenantPage): TenantPageResponseDto {
  return { items: page.items.map(toTenantResponse), nextCursor: page.nextCursor };
}
