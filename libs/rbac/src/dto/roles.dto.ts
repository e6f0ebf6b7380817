import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { GENERAL_ROLES, GeneralRole } from '@tessera/auth';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';

export const ROLE_NAME = /^[a-z][a-z0-9_-]{1,62}$/;

export class CreateRoleDto {
  @ApiProperty({ example: 'support-desk', pattern: ROLE_NAME.source })
  @IsString()
  @Matches(ROLE_NAME, {
    message:
      'name must be 2–63 characters: a lowercase letter, then lowercase letters, digits, _ or -',
  })
  name!: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({
    type: [String],
    example: ['users:read', 'sessions:revoke'],
    description: 'Permissions from GET /v1/permissions (tier 4 excluded).',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  permissions!: string[];
}

/** Any subset of the creation fields; anything else (tenantId, id, ...) is a 400. */
export class UpdateRoleDto {
  @ApiPropertyOptional({ pattern: ROLE_NAME.source })
  @IsOptional()
  @IsString()
  @Matches(ROLE_NAME, {
    message:
      'name must be 2–63 characters: a lowercase letter, then lowercase letters, digits, _ or -',
  })
  name?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  permissions?: string[];
}

export class RoleDto {
  @ApiProperty({ description: 'uuid for a custom role; the name for a built-in one' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['general', 'task', 'custom'] }) kind!: 'general' | 'task' | 'custom';
  @ApiProperty() description!: string;
  @ApiProperty({ type: [String] }) permissions!: string[];
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String }) tenantId!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'Users holding this custom role',
  })
  holders?: number | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String }) createdAt!:
    string | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String }) updatedAt!:
    string | null;
}

export class RoleListDto {
  @ApiProperty({ type: [RoleDto] }) items!: RoleDto[];
}

export class AssignRolesDto {
  @ApiProperty({ enum: GENERAL_ROLES })
  @IsIn(GENERAL_ROLES)
  role!: GeneralRole;

  @ApiProperty({
    type: [String],
    example: ['auditor', 'support-desk'],
    description:
      'Built-in task role names and custom role names of the user’s tenant; replaces the current set.',
  })
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(63, { each: true })
  taskRoles!: string[];
}

export class TaskRoleRefDto {
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'Custom roles only' })
  id!: string | null;
  @ApiProperty() builtin!: boolean;
}

export class UserRolesDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ enum: GENERAL_ROLES }) role!: GeneralRole;
  @ApiProperty({ type: [TaskRoleRefDto] }) taskRoles!: TaskRoleRefDto[];
  @ApiProperty({ type: [String], description: 'Effective permissions (general role ∪ task roles)' })
  permissions!: string[];
}

export class PermissionDto {
  @ApiProperty({ example: 'users:read' }) name!: string;
  @ApiProperty({ enum: [1, 2, 3, 4] }) tier!: number;
  @ApiProperty() description!: string;
}
