import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { GENERAL_ROLES, GeneralRole } from '@tessera/auth';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsUUID, MaxLength } from 'class-validator';
import { IsUserName } from './user-name.decorator';

export class InviteUserDto {
  @ApiProperty({ example: 'alice@example.com', maxLength: 320 })
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.normalize('NFKC').trim() : value,
  )
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({ example: 'Alice Example', maxLength: 200 })
  @IsUserName()
  name!: string;

  @ApiPropertyOptional({ enum: GENERAL_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(GENERAL_ROLES)
  role?: GeneralRole;
}

/** `?tenantId=`: a domain or system admin acting in a descendant tenant; default the caller's own. */
export class TenantScopeQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Default: the caller's own tenant." })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}
