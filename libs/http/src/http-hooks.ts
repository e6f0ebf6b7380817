import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HttpMetrics } from './metrics';
import { redactUrl } from './redact';
import { RequestContext, RequestContextStore } from './request-context';

declare module 'fastify' {
  interface FastifyRequest {
    tessera: RequestContext;
    startedAt: bigint;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Accept a caller's X-Request-Id only when it is well formed; otherwise mint one. */
export function genRequestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? 'unmatched';
}

/**
 * Per-request plumbing on the Fastify instance: request id echo, the async request
 * context (IP resolved once by Fastify's trustProxy), one access-log line and metrics.
 */
export function registerHttpHooks(
  fastify: FastifyInstance,
  logger: Logger,
  metrics: HttpMetrics,
  securityHeaders: Record<string, string> = {},
): void {
  // The access line is built here from known, non-secret fields (the URL is redacted by
  // redactUrl), so it skips pino's path redaction, which cost ~9 µs per line in bench/.
  const access = logger.child({}, { redact: { paths: [] } });
  fastify.decorateRequest('tessera', null as unknown as RequestContext);
  fastify.decorateRequest('startedAt', 0n);

  fastify.addHook('onRequest', (request, reply, done) => {
    request.startedAt = process.hrtime.bigint();
    void reply.headers(securityHeaders);
    void reply.header('x-request-id', request.id);
    const ua = request.headers['user-agent'];
    request.tessera = {
      requestId: request.id,
      ip: request.ip,
      userAgent: typeof ua === 'string' ? ua.slice(0, 512) : undefined,
      method: request.method,
      route: routeOf(request),
    };
    RequestContextStore.run(request.tessera, done);
  });

  // Body parsing runs outside the context above (stream callbacks); re-enter it so guards,
  // pipes and handlers all see the same request context.
  fastify.addHook('preValidation', (request, _reply, done) => {
    // Without a body nothing was parsed: we are still inside the onRequest context.
    if (request.body === undefined) return done();
    RequestContextStore.run(request.tessera, done);
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    const seconds = Number(process.hrtime.bigint() - request.startedAt) / 1e9;
    const route = routeOf(request);
    metrics.observe(request.method, route, reply.statusCode, seconds);
    if (access.isLevelEnabled('info')) {
      access.info(
        {
          reqId: request.id,
          method: request.method,
          url: redactUrl(request.url),
          route,
          status: reply.statusCode,
          ms: Math.round(seconds * 1e4) / 10,
          ip: request.ip,
          ua: request.tessera?.userAgent,
          tenantId: request.tessera?.tenantId,
        },
        'request completed',
      );
    }
    done();
  });
}
