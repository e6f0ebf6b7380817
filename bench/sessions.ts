import { argon2id, hash as argon2Hash, needsRehash } from 'argon2';
import type autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { BenchDatabase, LoadRun, ScenarioContext, ScenarioRequest } from './types';

/**
 * Data and request sequences for the Sessions scenarios (login, /v1/me, refresh): bench
 * users written straight into the run's database, real logins through the API, and the
 * autocannon hooks that chain refresh tokens per connection.
 */

export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000001';
/** Distinct accounts logged in round-robin, so no account's brute-force counter ever builds up. */
export const BENCH_USER_COUNT = 200;
/** Same length and character classes as bench/argon2.ts's password: the same argon2 work. */
export const BENCH_PASSWORD = 'kx9-Velvet-Harbor-bench';
/** The platform's argon2id parameters (libs/password ARGON2_PARAMS, OWASP). */
const ARGON2 = { type: argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
/** Parallel logins while seeding (argon2 runs on the server's 4-thread libuv pool). */
const SEED_LOGIN_CONCURRENCY = 4;

export interface BenchUsers {
  tenantId: string;
  emails: string[];
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

const seeded = new Map<string, Promise<BenchUsers>>();

/**
 * A tenant under the platform root and BENCH_USER_COUNT active, verified members, written
 * as the database superuser (as the e2e tests do). One argon2id hash, made once here with
 * the production parameters, is shared by every user: each login still verifies it in full.
 * Memoised per database, so every scenario's setup can ask for it.
 */
export function benchUsers(database: BenchDatabase): Promise<BenchUsers> {
  let p = seeded.get(database.name);
  if (!p) {
    p = seedUsers(database);
    seeded.set(database.name, p);
  }
  return p;
}

async function seedUsers(database: BenchDatabase): Promise<BenchUsers> {
  const passwordHash = await argon2Hash(BENCH_PASSWORD, ARGON2);
  // A hash the server would want to upgrade would add a hash + UPDATE to every login.
  if (
    needsRehash(passwordHash, {
      memoryCost: ARGON2.memoryCost,
      timeCost: ARGON2.timeCost,
      parallelism: ARGON2.parallelism,
    })
  )
    throw new Error('bench password hash does not match the platform argon2id parameters');
  const tenantId = randomUUID();
  const slug = `bench-${tenantId.slice(0, 8)}`;
  const emails = Array.from(
    { length: BENCH_USER_COUNT },
    (_, i) => `Bench.User${String(i).padStart(3, '0')}@bench.example.test`,
  );
  const client = new Client({ connectionString: database.superUrl });
  await client.connect();
  try {
    await client.query(
      `insert into tenants (id, parent_id, slug, name, status) values ($1, $2, $3, $4, 'active')`,
      [tenantId, PLATFORM_TENANT_ID, slug, 'Bench sessions'],
    );
    await client.query(
      `insert into users (id, tenant_id, email, email_normalized, name, status, role, password_hash, email_verified_at)
       select gen_random_uuid(), $1, e, lower(e), 'Bench User', 'active', 'member', $2, now()
         from unnest($3::text[]) as e`,
      [tenantId, passwordHash, emails],
    );
  } finally {
    await client.end();
  }
  return { tenantId, emails };
}

function loginBody(email: string): string {
  return JSON.stringify({ email, password: BENCH_PASSWORD });
}

/**
 * One real login through the API; anything but 200 stops the bench (a broken setup, not a
 * result). With `allowMfa`, an MFA answer (`mfa_required` / `mfa_enrollment_required`) is
 * returned as it is, for the caller to complete.
 */
export async function login(baseUrl: string, email: string, opts: { allowMfa?: boolean } = {}): Promise<TokenPair> {
  const res = await fetch(new URL('/v1/auth/login', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: loginBody(email),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`login as ${email}: ${res.status} ${text.slice(0, 300)}`);
  const pair = JSON.parse(text) as Partial<TokenPair> & { mfa_required?: boolean; mfa_enrollment_required?: boolean };
  if (opts.allowMfa && (pair.mfa_required || pair.mfa_enrollment_required)) return pair as TokenPair;
  if (!pair.access_token || !pair.refresh_token)
    throw new Error(`login as ${email}: no token pair in ${text.slice(0, 300)}`);
  return pair as TokenPair;
}

/** `count` logins, SEED_LOGIN_CONCURRENCY at a time, users taken round-robin from `next`. */
async function loginMany(baseUrl: string, count: number, next: () => string): Promise<TokenPair[]> {
  const out: TokenPair[] = [];
  let left = count;
  const worker = async () => {
    while (left > 0) {
      left--;
      out.push(await login(baseUrl, next()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_LOGIN_CONCURRENCY, count) }, worker));
  return out;
}

function roundRobin(emails: string[], start = 0): () => string {
  let i = start;
  return () => emails[i++ % emails.length]!;
}

/** GET /v1/me on the app with one access token from a real login (as the first bench user). */
export async function bearerSetup(ctx: ScenarioContext): Promise<ScenarioRequest> {
  const { emails } = await benchUsers(ctx.database);
  const { access_token } = await login(ctx.baseUrl, emails[0]!);
  return { headers: { authorization: `Bearer ${access_token}` } };
}

/**
 * POST /v1/auth/login, users round-robin over all connections (one shared counter): with
 * BENCH_USER_COUNT accounts and far fewer connections, no account ever has two attempts
 * in flight, and every success resets its brute-force counter.
 */
export async function loginSetup(ctx: ScenarioContext): Promise<ScenarioRequest> {
  const { emails } = await benchUsers(ctx.database);
  const next = roundRobin(emails, 1);
  const request: autocannon.Request = {
    method: 'POST',
    path: '/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: loginBody(next()) }),
  };
  return {
    body: loginBody(emails[0]!),
    headers: { 'content-type': 'application/json' },
    perRun: () => Promise.resolve({ requests: [request] }),
  };
}

function refreshTokenOf(body: string): string | undefined {
  try {
    const token = (JSON.parse(body) as Partial<TokenPair>).refresh_token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined; // counted as a broken chain by the caller
  }
}

interface Chain {
  token: string;
  refreshes: number;
  /** Set once the chain broke and no spare token was left: the connection now sends a dead token. */
  dead: boolean;
}

interface ChainStats {
  phase: LoadRun['phase'];
  connections: number;
  seeded: number;
  spares: number;
  refreshes: number;
  broken: number;
  reseeded: number;
  dead: number;
  /** First few failures: status and the start of the body. */
  failures: string[];
}

/**
 * POST /v1/auth/refresh. Every refresh consumes its token, so each connection runs its own
 * chain: the refresh_token of one response is the body of that connection's next request.
 *
 * autocannon's per-request `context` cannot carry the chain: with a one-element `requests`
 * list, autocannon 9 resets the context every time it wraps round to the first request
 * (lib/requestIterator.js), i.e. before every request. So `setupClient` (called once per
 * connection) gives each connection its own `requests` list whose setupRequest/onResponse
 * close over that connection's chain.
 *
 * Before each run (warm-up, measured) every connection gets a fresh chain from a real
 * login: when autocannon stops, each connection has one refresh in flight whose answer is
 * never read, so its successor token is lost. A few spare logins re-seed a chain that
 * breaks (any non-200); every break is counted and reported, never retried silently with a
 * consumed token. With no spare left the connection keeps presenting its last token, and
 * those 401s show in the non-2xx count.
 */
export async function refreshSetup(ctx: ScenarioContext): Promise<ScenarioRequest> {
  const { emails } = await benchUsers(ctx.database);
  const nextUser = roundRobin(emails, 2);
  const [sanity] = await loginMany(ctx.baseUrl, 1, nextUser);
  const runs: ChainStats[] = [];

  const perRun = async (run: LoadRun): Promise<Partial<autocannon.Options>> => {
    const spareCount = Math.max(2, Math.ceil(run.connections / 10));
    const pairs = await loginMany(ctx.baseUrl, run.connections + spareCount, nextUser);
    const chains: Chain[] = pairs
      .slice(0, run.connections)
      .map((p) => ({ token: p.refresh_token, refreshes: 0, dead: false }));
    const spares = pairs.slice(run.connections).map((p) => p.refresh_token);
    const stats: ChainStats = {
      phase: run.phase,
      connections: run.connections,
      seeded: chains.length,
      spares: spares.length,
      refreshes: 0,
      broken: 0,
      reseeded: 0,
      dead: 0,
      failures: [],
    };
    runs.push(stats);
    let nextChain = 0;
    return {
      setupClient(client: autocannon.Client) {
        const chain = chains[nextChain++];
        if (!chain) throw new Error('more autocannon connections than seeded refresh chains');
        client.setRequests([
          {
            method: 'POST',
            path: '/v1/auth/refresh',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({ refresh_token: chain.token }),
            }),
            onResponse: (status, body) => {
              if (status === 200) {
                const next = refreshTokenOf(body);
                if (next) {
                  chain.token = next;
                  chain.refreshes++;
                  stats.refreshes++;
                  return;
                }
              }
              if (chain.dead) return;
              stats.broken++;
              if (stats.failures.length < 3)
                stats.failures.push(`${status} ${body.replace(/\s+/g, ' ').slice(0, 160)}`);
              const spare = spares.pop();
              if (spare) {
                chain.token = spare;
                stats.reseeded++;
              } else {
                chain.dead = true;
                stats.dead++;
              }
            },
          },
        ]);
      },
    };
  };

  const notes = (): string[] =>
    runs.map(
      (s) =>
        `${s.phase}: ${s.seeded} refresh chains (one login each, plus ${s.spares} spare logins), ` +
        `${s.refreshes.toLocaleString('en-US')} successful rotations read back; ` +
        `broken chains: ${s.broken} (re-seeded from spares: ${s.reseeded}, left dead: ${s.dead})` +
        (s.failures.length
          ? `; first failures: ${s.failures.map((f) => `\`${f}\``).join(', ')}`
          : ''),
    );

  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: sanity!.refresh_token }),
    perRun,
    notes,
  };
}
