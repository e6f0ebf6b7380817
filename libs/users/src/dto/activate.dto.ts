import { ApiProperty } from '@nestjs/swagger';
import { IsPasswordInput } from '@tessera/password';
import { IsString, MaxLength } from 'class-validator';

export class ActivateDto {
  @ApiProperty({ description: 'The token from the invitation link.' })
  @IsString()
  @MaxLength(200)
  token!: string;

  @ApiProperty({
    description: 'The new password (policy in libs/password/README.md).',
    maxLength: 256,
  })
  @IsPasswordInput()
  password!: string;
}

export class ActivationResultDto {
  @ApiProperty({ enum: ['active'] }) status!: 'active';
}
