import { ApiProperty } from '@nestjs/swagger';
import { IsPasswordInput, PASSWORD_MAX_LENGTH } from '@tessera/password';
import { IsLinkToken } from './account-input.decorators';

export class ResetPasswordDto {
  @IsLinkToken()
  token!: string;

  @ApiProperty({
    description: 'The new password; the password policy applies.',
    maxLength: PASSWORD_MAX_LENGTH,
  })
  @IsPasswordInput()
  password!: string;
}
