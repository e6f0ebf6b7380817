import { ApiPropertyOptional } from '@nestjs/swagger';
import { GENERAL_ROLES, GeneralRole } from '@tessera/auth';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { UserStatus } from '../user.entity';
import { TenantScopeQueryDto } from './invite-user.dto';

export const USER_LIST_DEFAULT_LIMIT = 50;
export const USER_LIST_MAX_LIMIT = 200;

export class ListUsersQueryDto extends TenantScopeQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'active', 'disabled'] })
  @IsOptional()
  @IsIn(['pending', 'active', 'disabled'])
  status?: UserStatus;

  @ApiPropertyOptional({ enum: GENERAL_ROLES })
  @IsOptional()
  @IsIn(GENERAL_ROLES)
  role?: GeneralRole;

  @ApiPropertyOptional({
    description: 'Prefix of the normalised email; % and _ match literally.',
    maxLength: 320,
  })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  emailPrefix?: string;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page (nextCursor).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: USER_LIST_MAX_LIMIT,
    default: USER_LIST_DEFAULT_LIMIT,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(USER_LIST_MAX_LIMIT)
  limit?: number;
}
