import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
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
  securityHeaders: (url: string) => Readonly<Record<string, string>> = () => ({}),
): void {
  const access = accessLineWriter(logger);
  if (access) fastify.addHook('onClose', (_instance, done) => (access.close(), done()));
  fastify.decorateRequest('tessera', null as unknown as RequestContext);
  fastify.decorateRequest('startedAt', 0n);

  fastify.addHook('onRequest', (request, reply, done) => {
    request.startedAt = process.hrtime.bigint();
    void reply.headers(securityHeaders(request.url));
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
    if (access) {
      access(
        request.id,
        request.method,
        redactUrl(request.url),
        route,
        reply.statusCode,
        Math.round(seconds * 1e4) / 10,
        request.ip,
        request.tessera?.userAgent,
        request.tessera?.tenantId,
      );
    }
    done();
  });
}

/** Flushes of the access-line batches still open, run before pino's own flush on exit. */
const openBatches = new Set<() => void>();
let exitHooked = false;

/**
 * The access line, written straight to the logger's destination: the same JSON pino would
 * write for `logger.info({reqId, method, url, route, status, ms, ip, ua, tenantId},
 * 'request completed')` (level, ISO time, the logger's bindings), built from known fields —
 * the URL already redacted by redactUrl, strings escaped by JSON.stringify — so it skips
 * pino's generic serializer and path redaction (about a tenth of a cheap request's CPU in
 * bench/). The lines of one turn of the event loop go to the destination in one write
 * (setImmediate), and whatever is pending is written on app close and on process exit.
 * `undefined` when the logger is above info.
 */
export function accessLineWriter(logger: Logger) {
  if (!logger.isLevelEnabled('info')) return undefined;
  const stream = (logger as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym];
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  const head = `{"level":${logger.levels.values.info},"time":"`;
  let lastMs = 0;
  let lastIso = '';
  let pending = '';
  const q = JSON.stringify;
  const flush = () => {
    if (!pending) return;
    const out = pending;
    pending = '';
    stream.write(out);
  };
  openBatches.add(flush);
  if (!exitHooked) {
    exitHooked = true;
    // Before the 'exit' listener that flushes pino's buffered stdout (createLogger).
    process.prependListener('exit', () => {
      for (const f of openBatches) f();
    });
  }
  const write = (
    reqId: string,
    method: string,
    url: string,
    route: string,
    status: number,
    ms: number,
    ip: string,
    ua: string | undefined,
    tenantId: string | undefined,
  ) => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    if (!pending) setImmediate(flush);
    pending +=
      `${head}${lastIso}"${bindings},"reqId":${q(reqId)},"method":${q(method)},"url":${q(url)},"route":${q(route)},` +
      `"status":${status},"ms":${ms},"ip":${q(ip)}${ua === undefined ? '' : `,"ua":${q(ua)}`}` +
      `${tenantId === undefined ? '' : `,"tenantId":${q(tenantId)}`},"msg":"request completed"}\n`;
    if (pending.length > 65_536) flush();
  };
  /** Writes what is pending and forgets this writer (the app is closing). */
  const close = () => {
    flush();
    openBatches.delete(flush);
  };
  return Object.assign(write, { close });
}
