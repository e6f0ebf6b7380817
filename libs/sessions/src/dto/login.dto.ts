import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsPasswordInput } from '@tessera/password';
import { IsEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({ format: 'password' })
  @IsPasswordInput()
  password!: string;

  @ApiPropertyOptional({ description: 'Tenant slug, when the client knows it' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,63}$/)
  tenant?: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MaxLength(200)
  refresh_token!: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type!: 'Bearer';
  @ApiProperty({ description: 'seconds' }) expires_in!: number;
  @ApiProperty() refresh_token!: string;
  @ApiProperty({ description: 'seconds' }) refresh_expires_in!: number;
}
