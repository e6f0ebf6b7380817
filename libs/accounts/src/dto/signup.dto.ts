import { ApiProperty } from '@nestjs/swagger';
import { IsPasswordInput, PASSWORD_MAX_LENGTH } from '@tessera/password';
import { IsAccountEmail, IsDisplayName } from './account-input.decorators';

export class SignupDto {
  @IsAccountEmail()
  email!: string;

  @ApiProperty({
    description: 'Checked against the password policy (12+ characters, not common, not guessable).',
    maxLength: PASSWORD_MAX_LENGTH,
  })
  @IsPasswordInput()
  password!: string;

  @IsDisplayName('Alice Example')
  name!: string;

  @IsDisplayName('Acme Corp')
  tenantName!: string;
}
