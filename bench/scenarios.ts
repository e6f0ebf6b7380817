import { apiKeySetup, clientCredentialsSetup } from './machine';
import { bearerSetup, BENCH_USER_COUNT, loginSetup, refreshSetup } from './sessions';
import type { Scenario, ServerDef, ServerKind, Target } from './types';

/**
 * RATE_LIMIT_*_PER_MINUTE accept at most 1,000,000 (libs/config): the highest the app
 * allows. All load comes from 127.0.0.1, one client IP, far below that rate; the limiter
 * still runs and counts on every request, it never refuses.
 */
const RAISED_RATE_LIMIT = '1000000';
/** Connections of each side of "/v1/me during a login flood". */
const FLOOD_CONNECTIONS = 20;

/**
 * The servers. Every one is started the same way (`node -r @swc-node/register bench/<entry>`),
 * one at a time, so it owns its event loop and the load generator (the parent) is the same
 * for all of them.
 */
const RAISED_LIMITS = {
  RATE_LIMIT_AUTH_PER_MINUTE: RAISED_RATE_LIMIT,
  RATE_LIMIT_DEFAULT_PER_MINUTE: RAISED_RATE_LIMIT,
  RATE_LIMIT_TENANT_PER_MINUTE: RAISED_RATE_LIMIT,
  RATE_LIMIT_TENANT_BURST: RAISED_RATE_LIMIT,
  RATE_LIMIT_CREDENTIAL_PER_MINUTE: RAISED_RATE_LIMIT,
  RATE_LIMIT_CREDENTIAL_BURST: RAISED_RATE_LIMIT,
};

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
  reference: {
    entry: 'reference-server.ts',
    tessera: false,
    needsRedis: true,
    env: ({ store }) => ({ REDIS_URL: store.url ?? '', REDIS_PREFIX: store.prefix }),
    description:
      'NestJS 11 + FastifyAdapter whose only work per request is one ES256 verification (jose `jwtVerify`, key ' +
      'generated at start) and one Redis GET (ioredis, same client settings as the app) of a key derived from the ' +
      'token: the floor of the access-token design',
  },
  'app-sessions': {
    entry: 'app-server.ts',
    tessera: true,
    // The per-IP limits, and the per-tenant / per-credential API buckets (default 100/min,
    // burst 200): all load is one IP, one tenant and one key or client.
    env: RAISED_LIMITS,
    description:
      'the API from createApiApp(), LOG_LEVEL=info, with RATE_LIMIT_AUTH_PER_MINUTE and ' +
      'RATE_LIMIT_DEFAULT_PER_MINUTE at 1,000,000 (the maximum the config accepts) so the per-IP limits — all ' +
      'load comes from 127.0.0.1 — never refuse, and the per-tenant / per-credential API buckets (RATE_LIMIT_TENANT_*, ' +
      'RATE_LIMIT_CREDENTIAL_*) at 1,000,000 too; the limiters still run and count on every request',
  },
  'app-scaled': {
    entry: 'app-server.ts',
    tessera: true,
    needsRedis: true,
    env: { ...RAISED_LIMITS, WORKERS: '2' },
    description:
      'the app-sessions server as deployed on a 2-core machine: WORKERS=2 (node:cluster, one process per core, ' +
      'sharing the port; instances are stateless). Its CPU is reported under "other" (the workers are not the ' +
      'measured child process).',
  },
};


const loginScenario = (name: string, connections: number, informational: boolean): Scenario => ({
  name,
  server: 'app-sessions',
  method: 'POST',
  path: '/v1/auth/login',
  connections,
  informational,
  description:
    `Real password logins: Passport local strategy, body validation, per-account brute-force counter (lock test + ` +
    `reserve in one store script, reset), the account read (one statement), one argon2id verify (m=19456, t=2, p=1), ` +
    `the MFA gate's account read, session + refresh token rows + last_login_at + audit row (one statement), ` +
    `ES256 signing, token-cache writes, the session liveness re-check: 4 PostgreSQL statements, 5 Redis commands. ` +
    `${BENCH_USER_COUNT} active users (written directly into the database, one ` +
    `shared argon2id hash) taken round-robin, so no account ever has a failure counted.`,
  setup: loginSetup,
});

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
  {
    name: 'reference',
    server: 'reference',
    method: 'GET',
    path: '/v1/me',
    // The targets are at 50 connections: fixed here, whatever BENCH_CONNECTIONS says.
    connections: 50,
    description:
      'One ES256 verification (jose) + one Redis GET per request, nothing else: the floor for an authenticated request.',
    async setup({ baseUrl }) {
      const res = await fetch(new URL('/bench/token', baseUrl));
      const { access_token } = (await res.json()) as { access_token: string };
      return { headers: { authorization: `Bearer ${access_token}` } };
    },
  },
  loginScenario('app login', 8, false),
  {
    name: 'app /v1/me (access JWT)',
    server: 'app-sessions',
    method: 'GET',
    path: '/v1/me',
    connections: 50,
    description:
      'One access token from a real login. The global guard chain (bearer JWT: shape, header, key by kid, ES256 ' +
      'signature and claims with fast-jwt (synchronous node:crypto, on the event loop), then one Redis MGET: ' +
      'token-cache entry + the user\'s authorization; the ' +
      'per-tenant bucket in one Lua call that also reads the profile ahead), then the controller from the values ' +
      'read ahead: no PostgreSQL, two Redis round trips. Access log on.',
    setup: bearerSetup,
  },
  {
    name: 'app /v1/me (API key)',
    server: 'app-sessions',
    method: 'GET',
    path: '/v1/me',
    connections: 50,
    description:
      'The same request with an API key (tsr_live_…, scope read) of the same user: shape + CRC32 checksum, ' +
      'HMAC-SHA-256 compare against the key record and owner authorization this instance last accepted it on, the ' +
      'per-tenant and per-key buckets in one Lua call that also reads the profile and those two keys again (the ' +
      'access guard confirms them before the controller), then the same controller: one Redis round trip, no ' +
      'signature to verify.',
    setup: apiKeySetup,
  },
  {
    name: 'app POST /oauth/token (client credentials)',
    server: 'app-sessions',
    method: 'POST',
    path: '/oauth/token',
    connections: 50,
    description:
      'grant_type=client_credentials with client_secret_basic, one client for every connection: form parsing, ' +
      'client record + owner authorization (one MGET), HMAC compare, per-client bucket, ES256 signing, token-cache ' +
      'writes, liveness re-check, one audit row (single statement, per-tenant hash-chain lock).',
    setup: clientCredentialsSetup,
  },
  {
    name: 'app refresh',
    server: 'app-sessions',
    method: 'POST',
    path: '/v1/auth/refresh',
    description:
      'Rotating refresh tokens: each connection chains its own session, sending the refresh_token of its ' +
      'previous response (seeded per run by one real login per connection). Per call: lookup by HMAC digest, ' +
      'conditional consume, reuse and session checks, new refresh token row, sliding window, audit row (all in ' +
      'refresh_rotate_many: concurrent refreshes are group-committed, one statement and one commit per group), ' +
      'new ES256 access token, token-cache write checked against the session\'s revocation tombstone (one Lua call).',
    setup: refreshSetup,
  },
  {
    name: 'app POST /oauth/token (client credentials; 2 workers)',
    server: 'app-scaled',
    method: 'POST',
    path: '/oauth/token',
    connections: 50,
    informational: true,
    description:
      'The client-credentials scenario against the app with WORKERS=2 (one process per core). Informational: on ' +
      'this 2-core box the workers share the cores with PostgreSQL, Redis and the load generator.',
    setup: clientCredentialsSetup,
  },
  {
    name: 'app refresh (2 workers)',
    server: 'app-scaled',
    method: 'POST',
    path: '/v1/auth/refresh',
    informational: true,
    description:
      'The refresh scenario against the app with WORKERS=2 (one process per core). Informational, as above.',
    setup: refreshSetup,
  },
  {
    name: 'app /v1/me during login flood',
    server: 'app-sessions',
    method: 'GET',
    path: '/v1/me',
    connections: FLOOD_CONNECTIONS,
    description:
      `The /v1/me load of above with ${FLOOD_CONNECTIONS} connections, while ${FLOOD_CONNECTIONS} other connections ` +
      'flood POST /v1/auth/login (argon2id on the libuv threadpool): does password hashing starve authenticated requests?',
    setup: bearerSetup,
    alongside: loginScenario('app login flood (alongside /v1/me)', FLOOD_CONNECTIONS, true),
  },
];

export const TARGETS: Target[] = [
  {
    name: 'app /v1/me with an API key ÷ with an access JWT',
    numerator: 'app /v1/me (API key)',
    denominator: 'app /v1/me (access JWT)',
    min: 2,
    source: 'issue Machine credentials: API-key requests at least twice the JWT-authenticated rate (no signature to verify)',
  },
  {
    kind: 'limit',
    name: 'app client-credentials token rate',
    scenario: 'app POST /oauth/token (client credentials)',
    metric: 'okPerSec',
    atLeast: 2500,
    source: 'issue Machine credentials: client-credentials issuance at least 2,500 tokens/s on this machine',
  },
  {
    kind: 'limit',
    name: 'app /v1/me (API key) non-2xx',
    scenario: 'app /v1/me (API key)',
    metric: 'non2xxShare',
    atMost: 0,
    source: 'every API-key request is a 200 (no rate-limit refusals flattering the rate)',
  },
  {
    kind: 'limit',
    name: 'app client-credentials non-2xx',
    scenario: 'app POST /oauth/token (client credentials)',
    metric: 'non2xxShare',
    atMost: 0,
    source: 'every token request succeeds',
  },
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
  {
    name: 'app login ÷ argon2id verify rate',
    numerator: 'app login',
    denominator: { argon2: 'verifyPerSec' },
    min: 0.85,
    source:
      'issue Sessions: login at least 85% of the raw argon2id verify rate at the same parameters ' +
      '(runArgon2Bench() verifyPerSec, same run, concurrency = threadpool size)',
  },
  {
    name: 'app /v1/me ÷ reference',
    numerator: 'app /v1/me (access JWT)',
    denominator: 'reference',
    min: 0.6,
    source: "issue Sessions: authenticated GET /v1/me at least 60% of the reference's req/s",
  },
  {
    kind: 'limit',
    name: 'app login non-2xx',
    scenario: 'app login',
    metric: 'non2xxShare',
    atMost: 0,
    source:
      'every bench login succeeds: no per-IP 429, no per-account lock (so the rate is not flattered by cheap refusals)',
  },
  {
    kind: 'limit',
    name: 'app /v1/me non-2xx',
    scenario: 'app /v1/me (access JWT)',
    metric: 'non2xxShare',
    atMost: 0,
    source: 'latencies cover 2xx only: every measured /v1/me must be a 200',
  },
  {
    kind: 'limit',
    name: 'app /v1/me p99 at 50 connections',
    scenario: 'app /v1/me (access JWT)',
    metric: 'p99Ms',
    below: 25,
    source: 'issue Sessions: p99 under 25 ms at 50 connections',
  },
  {
    kind: 'limit',
    name: 'app refresh rate',
    scenario: 'app refresh',
    metric: 'okPerSec',
    atLeast: 2000,
    source: 'issue Sessions: refresh at least 2,000/s (successful rotations, 2xx only)',
  },
  {
    kind: 'limit',
    name: 'app refresh non-2xx',
    scenario: 'app refresh',
    metric: 'non2xxShare',
    atMost: 0.001,
    source:
      'every chained refresh succeeds (~0 non-2xx; a broken chain is reported under the scenario)',
  },
  {
    kind: 'limit',
    name: 'app /v1/me p99 during login flood',
    scenario: 'app /v1/me during login flood',
    metric: 'p99Ms',
    below: 100,
    source:
      "issue Sessions: an authenticated request's p99 stays under 100 ms while a login flood runs " +
      `(${FLOOD_CONNECTIONS} + ${FLOOD_CONNECTIONS} connections)`,
  },
  {
    kind: 'limit',
    name: 'app /v1/me non-2xx during login flood',
    scenario: 'app /v1/me during login flood',
    metric: 'non2xxShare',
    atMost: 0,
    source: 'latencies cover 2xx only, so the flood must not turn /v1/me into errors either',
  },
];
