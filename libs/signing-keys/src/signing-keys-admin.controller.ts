import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequirePermissions } from '@tessera/auth';
import { IsBoolean, IsOptional } from 'class-validator';
import { SigningKeyService } from './signing-key.service';
import { RotationResult, SigningKeyRecord } from './signing-key.types';

export class RotateKeysDto {
  @ApiPropertyOptional({ description: 'Promote the new key at once (suspected compromise) instead of after the propagation delay.' })
  @IsOptional()
  @IsBoolean()
  immediate?: boolean;
}

class SigningKeyDto {
  @ApiProperty() kid!: string;
  @ApiProperty() alg!: string;
  @ApiProperty() status!: string;
  @ApiProperty() published!: boolean;
}

/**
 * Platform signing keys for system admins: the same list and rotation as the CLI
 * (`keys list`, `keys rotate`). Rotation is tier 4: never through a delegated credential.
 */
@ApiTags('signing-keys')
@Controller('v1/signing-keys')
export class SigningKeysAdminController {
  constructor(private readonly keys: SigningKeyService) {}

  @Get()
  @RequirePermissions('signing_keys:read')
  @ApiOperation({ summary: 'Every platform signing key (public facts only), newest first.' })
  @ApiOkResponse({ type: [SigningKeyDto] })
  list(): Promise<SigningKeyRecord[]> {
    return this.keys.list();
  }

  @Post('rotate')
  @HttpCode(200)
  @RequirePermissions('signing_keys:rotate', { credentials: ['session'] })
  @ApiOperation({ summary: 'Start a rotation: the new key is published before it signs (tier 4).' })
  rotate(@CurrentPrincipal() p: Principal, @Body() dto: RotateKeysDto): Promise<RotationResult> {
    return this.keys.rotate({ immediate: dto.immediate === true, actor: { type: 'user', id: p.userId ?? 'unknown' } });
  }
}
