import { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { TesseraConfig } from '@tessera/config';
import { createLogger, genRequestId, HttpMetrics, PinoNestLogger, registerHttpHooks, securityHeadersFor } from '@tessera/http';
import { FastifyBaseLogger, LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';

export interface CreateAppOptions {
  /** Where log lines go (tests capture them); default stdout. */
  logDestination?: DestinationStream;
  /** Extra modules composed in (test fixtures). */
  extraModules?: Type[];
}

/**
 * Builds the API exactly as production runs it; main.ts and every e2e test call this.
 * Fastify-level settings (trusted proxies, body limit, request ids, hooks, security
 * headers, CORS, docs) live here because they belong to the adapter, not to a module.
 */
export async function createApiApp(config: TesseraConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = createLogger(config.log.level, options.logDestination, config.log.pretty);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One access line per response comes from registerHttpHooks instead (redacted URL, route, ms).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    // The client IP is resolved here, once: X-Forwarded-For is believed only from these peers.
    trustProxy: config.http.trustedProxies.length ? config.http.trustedProxies : false,
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: genRequestId,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Fastify would build a child logger (bound to the request id) for every request; we
    // never log through request.log (the access line and errors carry reqId themselves).
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options.extraModules), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerHttpHooks(fastify, logger, app.get(HttpMetrics), securityHeadersFor());
  // Errors raised by Fastify itself (body too large, malformed JSON) reach Nest's error
  // handler and so the ProblemDetailsFilter: they are problem+json too.

  // CORS only where browsers on other origins are meant to call us (CORS_ORIGINS); with none
  // configured there is nothing to allow, and no CORS hook on every request.
  if (config.http.corsOrigins.length) {
    app.enableCors({
      origin: config.http.corsOrigins,
      credentials: false,
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    });
  }
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tessera')
      .setDescription('Multi-tenant identity and access API. Errors are RFC 9457 application/problem+json.')
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
  return app;
}
