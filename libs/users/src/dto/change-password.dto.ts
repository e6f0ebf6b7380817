import { ApiProperty } from '@nestjs/swagger';
import { IsPasswordInput } from '@tessera/password';

export class ChangePasswordDto {
  @ApiProperty({ maxLength: 256 })
  @IsPasswordInput()
  currentPassword!: string;

  @ApiProperty({ maxLength: 256 })
  @IsPasswordInput()
  newPassword!: string;
}
