import type { RatioTarget, Scenario, ServerDef, ServerKind } from './types';

/**
 * The servers. Every one is started the same way (`node -r @swc-node/register bench/<entry>`),
 * one at a time, so it owns its event loop and the load generator (the parent) is the same
 * for all of them.
 */
export const SERVERS: Record<ServerKind, ServerDef> = {
  bare: {
    entry: 'bare-server.ts',
    tessera: false,
    description: 'NestJS 11 + FastifyAdapter, one controller; no guards, pipes, hooks or logging',
  },
  app: {
    entry: 'app-server.ts',
    tessera: true,
    description: 'the API from createApiApp(), LOG_LEVEL=info',
  },
  'app-nolog': {
    entry: 'app-server.ts',
    tessera: true,
    env: { LOG_LEVEL: 'warn' },
    description: 'the API from createApiApp(), LOG_LEVEL=warn (no access-log line)',
  },
};

/** Scenarios run in this order, grouped by server (a server is started once per group). */
export const SCENARIOS: Scenario[] = [
  {
    name: 'bare',
    server: 'bare',
    method: 'GET',
    path: '/',
    description:
      'One controller returning {status:"ok"}; no guards, pipes or logging. The ceiling.',
  },
  {
    name: 'app /health/live',
    server: 'app',
    method: 'GET',
    path: '/health/live',
    description:
      'The real app from createApiApp(): helmet, CORS, request-id/context hooks, metrics, the global guard chain ' +
      '(throttle → authenticate; the route is @Public and @SkipThrottle), validation pipe, problem filter, and one ' +
      'JSON access-log line per request at LOG_LEVEL=info (written to a file).',
  },
  {
    name: 'app /health/live, no access log',
    server: 'app-nolog',
    method: 'GET',
    path: '/health/live',
    informational: true,
    description:
      'The same app at LOG_LEVEL=warn: the difference to the row above is the cost of the access-log line.',
  },
];

export const TARGETS: RatioTarget[] = [
  {
    name: 'app /health/live ÷ bare',
    numerator: 'app /health/live',
    denominator: 'bare',
    min: 0.5,
    source: 'issue: the full middleware stack keeps ≥ 50% of bare throughput',
  },
  {
    name: 'app without access log ÷ bare',
    numerator: 'app /health/live, no access log',
    denominator: 'bare',
    source: 'information: the middleware stack alone, without the per-request log line',
  },
  {
    name: 'app ÷ app without access log',
    numerator: 'app /health/live',
    denominator: 'app /health/live, no access log',
    source:
      'information: throughput kept when the access-log line is written (1 − this = its cost)',
  },
];
