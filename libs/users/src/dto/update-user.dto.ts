import { ApiProperty } from '@nestjs/swagger';
import { IsUserName } from './user-name.decorator';

/**
 * The only field an admin (PATCH /v1/users/:id) or the user (PATCH /v1/me) changes here.
 * role, status, tenantId, email and anything else are refused (400) by the ValidationPipe:
 * roles move through the RBAC routes, status through disable/enable.
 */
export class UpdateUserDto {
  @ApiProperty({ example: 'Alice Example', maxLength: 200 })
  @IsUserName()
  name!: string;
}
