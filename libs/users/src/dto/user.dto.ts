import { ApiProperty } from '@nestjs/swagger';
import { GENERAL_ROLES, GeneralRole } from '@tessera/auth';
import type { User, UserStatus } from '../user.entity';

const STATUSES: UserStatus[] = ['pending', 'active', 'disabled'];

/** A user as the API shows it. Never the password hash, never a token. */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ example: 'alice@example.com' }) email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: STATUSES }) status!: UserStatus;
  @ApiProperty({ enum: GENERAL_ROLES }) role!: GeneralRole;
  @ApiProperty({
    description: 'True once the user proved the mailbox (verification link, invitation or import).',
  })
  emailVerified!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastLoginAt!: string | null;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor!: string | null;
}

/** The only way a User leaves the module over HTTP: field by field, so nothing is added by accident. */
export function toUserDto(user: User): UserDto {
  return {
    id: user.id,
    tenantId: user.tenantId,
    email: user.email,
    name: user.name,
    status: user.status,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
    lastLoginAt: user.lastLoginAt ? new Date(user.lastLoginAt).toISOString() : null,
  };
}
