import 'reflect-metadata';
import { Controller, Get, Headers, Inject, Module, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { failAndExit, send, tieToParent } from './child';

/**
 * The floor of the access-token design (issue "Sessions", Benchmarks): NestJS 11 +
 * FastifyAdapter whose only work per request is one ES256 verification with jose and one
 * Redis GET (ioredis) of a key derived from the token. No guards, pipes, hooks or logging.
 *
 * At start it generates an ES256 key pair, signs one access token shaped like Tessera's
 * (RFC 9068 claims, `typ: at+jwt`, `kid`) and stores its SHA-256 under `at:<hash>` in
 * Redis, as the app's token cache does. `GET /bench/token` hands the token to the bench
 * (setup only, not measured); `GET /v1/me` is the measured route.
 */
const ISSUER = 'http://127.0.0.1';
const TTL_S = 15 * 60;

interface Reference {
  publicKey: CryptoKey;
  redis: Redis;
  token: string;
}
const REFERENCE = Symbol('REFERENCE');

const tokenKey = (token: string) => `at:${createHash('sha256').update(token).digest('base64url')}`;

@Controller()
class ReferenceController {
  constructor(@Inject(REFERENCE) private readonly ref: Reference) {}

  @Get('v1/me')
  async me(@Headers('authorization') authorization?: string) {
    if (!authorization?.startsWith('Bearer ')) throw new UnauthorizedException();
    const token = authorization.slice(7);
    let sub: string | undefined;
    try {
      const { payload } = await jwtVerify(token, this.ref.publicKey, {
        algorithms: ['ES256'],
        typ: 'at+jwt',
        issuer: ISSUER,
        audience: ISSUER,
        clockTolerance: 60,
      });
      sub = payload.sub;
    } catch {
      throw new UnauthorizedException();
    }
    const cached = await this.ref.redis.get(tokenKey(token));
    if (!cached) throw new UnauthorizedException();
    return { sub, session: JSON.parse(cached) as unknown };
  }

  @Get('bench/token')
  token() {
    return { access_token: this.ref.token };
  }
}

async function main(): Promise<void> {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('the reference server needs REDIS_URL');
  // The same client settings as the app's store (libs/store createRedisClient).
  const redis = new Redis(url, {
    keyPrefix: `${process.env.REDIS_PREFIX ?? 'tsr-bench:'}ref:`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
  });
  redis.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    setTimeout(() => reject(new Error('Redis did not answer')), 5000).unref();
  });

  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = randomBytes(8).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    tid: randomUUID(),
    sid: randomUUID(),
    amr: ['pwd'],
    acr: 'urn:tessera:acr:password',
    auth_time: now,
    client_id: 'tessera',
  };
  const sub = randomUUID();
  const jti = randomBytes(16).toString('base64url');
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(ISSUER)
    .setAudience(ISSUER)
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + TTL_S)
    .setJti(jti)
    .sign(privateKey);
  await redis.set(
    tokenKey(token),
    JSON.stringify({
      uid: sub,
      tid: claims.tid,
      sid: claims.sid,
      role: 'member',
      amr: claims.amr,
      acr: claims.acr,
      authTime: now,
      jti,
    }),
    'PX',
    TTL_S * 1000,
  );

  @Module({
    controllers: [ReferenceController],
    providers: [{ provide: REFERENCE, useValue: { publicKey, redis, token } satisfies Reference }],
  })
  class ReferenceModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    ReferenceModule,
    new FastifyAdapter(),
    { logger: false },
  );
  tieToParent(async () => {
    await app.close();
    await redis.del(tokenKey(token)).catch(() => undefined);
    redis.disconnect();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  await send({ type: 'ready', port: (app.getHttpServer().address() as AddressInfo).port });
}

main().catch(failAndExit);
