import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { failAndExit, send, tieToParent } from './child';

/**
 * The ceiling: NestJS 11 on the same platform as the API (FastifyAdapter), one controller,
 * nothing else — no guards, pipes, hooks or logging.
 */
@Controller()
class HelloController {
  @Get()
  hello() {
    return { status: 'ok' };
  }
}

@Module({ controllers: [HelloController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), {
    logger: false,
  });
  tieToParent(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  await send({ type: 'ready', port: (app.getHttpServer().address() as AddressInfo).port });
}

main().catch(failAndExit);
