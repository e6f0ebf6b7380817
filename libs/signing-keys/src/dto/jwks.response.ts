import { ApiProperty } from '@nestjs/swagger';
import { PublishedJwk } from '../signing-key.types';

export class JwkResponseDto {
  @ApiProperty({ enum: ['EC'] })
  kty!: 'EC';

  @ApiProperty({ enum: ['P-256'] })
  crv!: 'P-256';

  @ApiProperty({ description: 'base64url x coordinate' })
  x!: string;

  @ApiProperty({ description: 'base64url y coordinate' })
  y!: string;

  @ApiProperty({
    description:
      'RFC 7638 JWK thumbprint (SHA-256); the `kid` header of tokens signed with this key',
  })
  kid!: string;

  @ApiProperty({ enum: ['ES256'] })
  alg!: 'ES256';

  @ApiProperty({ enum: ['sig'] })
  use!: 'sig';
}

export class JwksResponseDto {
  @ApiProperty({
    type: [JwkResponseDto],
    description:
      'Every published key: the next one, the active one, and retired ones until their tokens have expired',
  })
  keys!: JwkResponseDto[];
}

/** Explicit mapping: only the public members leave the process, whatever the source object carries. */
export function toJwksResponse(keys: PublishedJwk[]): JwksResponseDto {
  return {
    keys: keys.map((k) => ({
      kty: k.kty,
      crv: k.crv,
      x: k.x,
      y: k.y,
      kid: k.kid,
      alg: k.alg,
      use: k.use,
    })),
  };
}
