import type autocannon from 'autocannon';
import type { IncomingHttpHeaders } from 'node:http';
import type { CpuUse } from './cpu-meter';

/** The servers the bench knows how to start (bench/scenarios.ts SERVERS); each runs in its own child process. */
export type ServerKind = 'bare' | 'app' | 'app-nolog' | 'reference' | 'app-sessions' | 'app-scaled';

export interface ServerDef {
  /** Child-process entry, a file in bench/, started as `node -r @swc-node/register bench/<entry>`. */
  entry: string;
  /** Gets the Tessera environment (database, store, master key, LOG_LEVEL=info) and stdout to a file. */
  tessera: boolean;
  /**
   * Only started when REDIS_URL is set; otherwise its scenarios are reported as
   * "skipped (no REDIS_URL)" and targets that use them as NOT RUN.
   */
  needsRedis?: boolean;
  /**
   * Extra environment, applied last: fixed (LOG_LEVEL for a variant) or computed from the
   * run's services (a reference server that needs REDIS_URL).
   */
  env?:
    | NodeJS.ProcessEnv
    | ((services: { database: BenchDatabase; store: BenchStore }) => NodeJS.ProcessEnv);
  description: string;
}

/** Database the app server runs on for this bench run (provisioned by bench/database.ts). */
export interface BenchDatabase {
  /** How it was obtained: an embedded PostgreSQL in a temp dir, or a fresh database on DATABASE_URL. */
  kind: 'embedded' | 'external';
  /** Database name (fresh per run, dropped at the end). */
  name: string;
  /** Application role URL (what the server connects as). */
  appUrl: string;
  /** Owner role URL (migrations; seeding in scenario setups). */
  ownerUrl: string;
  /** Superuser URL of the same database (seeding data that RLS would hide from the app role). */
  superUrl: string;
}

export interface BenchStore {
  kind: 'redis' | 'memory';
  url?: string;
  /** Key prefix unique to this run, so a shared Redis keeps other users' keys apart. */
  prefix: string;
}

/** What a scenario's setup receives: the running server and the services behind it. */
export interface ScenarioContext {
  /** e.g. http://127.0.0.1:40123 — the bench never targets anything but 127.0.0.1. */
  baseUrl: string;
  server: ServerKind;
  database: BenchDatabase;
  store: BenchStore;
}

/** One autocannon run of a scenario: the warm-up or the measured window. */
export interface LoadRun {
  phase: 'warmup' | 'measured';
  connections: number;
}

/** Per-scenario request overrides a setup may return (e.g. a bearer token it obtained). */
export interface ScenarioRequest {
  method?: string;
  path?: string;
  headers?: IncomingHttpHeaders;
  body?: string;
  /**
   * Called before each autocannon run (warm-up, then measured; not for the sanity request)
   * and awaited before the run starts: autocannon options for that run only, applied last.
   * For request sequences that need fresh state per run, e.g. one live refresh token per
   * connection (`setupClient`), or a request body that changes per call (`requests`).
   */
  perRun?(run: LoadRun): Promise<Partial<autocannon.Options>>;
  /** Lines for the report, read after the measured run (e.g. broken refresh chains). */
  notes?(): string[];
}

export interface Scenario {
  /** Unique; used in RESULTS.md, in targets and in BENCH_SCENARIOS. */
  name: string;
  server: ServerKind;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: IncomingHttpHeaders;
  body?: string;
  /** Status every measured response must have (sanity-checked once before the run). Default 200. */
  expectStatus?: number;
  /** Default BENCH_CONNECTIONS (50). */
  connections?: number;
  /** Shown in the report but not part of any target (a breakdown, not a goal). */
  informational?: boolean;
  /** One line shown under the scenario's table. */
  description?: string;
  /** Runs once against the started server before warm-up: log in, seed a key, ... */
  setup?(ctx: ScenarioContext): Promise<ScenarioRequest | void>;
  /** Escape hatch for request sequences (setupRequest / onResponse, e.g. rotating refresh tokens). */
  autocannon?: Partial<autocannon.Options>;
  /**
   * A second load run at the same time against the same server (same warm-up and measured
   * window, its own autocannon instance): e.g. a login flood while this scenario measures
   * an authenticated route. Reported as its own row; its name must be unique too.
   */
  alongside?: Scenario;
}

/** Where a target's number comes from: a scenario's result, or the argon2 child's output. */
export type Metric =
  /** Mean of autocannon's per-second samples (every response, whatever its status). */
  | 'reqPerSec'
  /** 2xx responses per measured second. */
  | 'okPerSec'
  | 'p50Ms'
  | 'p99Ms'
  /** Non-2xx responses ÷ all responses (0..1). */
  | 'non2xxShare';

/** A throughput ratio: numerator req/s ÷ denominator req/s, checked against min when it has one. */
export interface RatioTarget {
  kind?: 'ratio';
  name: string;
  /** Scenario name (its req/s). */
  numerator: string;
  /** Scenario name (its req/s), or a rate from bench/argon2.ts's runArgon2Bench(). */
  denominator: string | { argon2: 'verifyPerSec' | 'hashPerSec' };
  /** Goal; without one the ratio is shown for information (no PASS/FAIL). */
  min?: number;
  /** Where the goal comes from (issue, design), or what the ratio shows. */
  source: string;
}

/** One scenario metric against a bound (throughput floor, latency ceiling, error share). */
export interface LimitTarget {
  kind: 'limit';
  name: string;
  scenario: string;
  metric: Metric;
  /** Goal: value ≥ atLeast. */
  atLeast?: number;
  /** Goal: value ≤ atMost. */
  atMost?: number;
  /** Goal: value < below. */
  below?: number;
  source: string;
}

export type Target = RatioTarget | LimitTarget;

export interface ScenarioResult {
  scenario: Scenario;
  /** Mean of autocannon's per-second request samples. */
  reqPerSec: number;
  /** 2xx responses ÷ measured seconds. */
  okPerSec: number;
  totalRequests: number;
  durationSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  /** Responses per status code, e.g. { '200': 1234, '429': 5 }. */
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  connections: number;
  /** CPU used during the measured window, in cores (Linux only). */
  cpu?: CpuUse;
  /** Name of the scenario whose load ran at the same time (the CPU window is shared). */
  concurrentWith?: string;
  /** Extra lines from the scenario (ScenarioRequest.notes), e.g. broken refresh chains. */
  notes?: string[];
  /** req/s of every round, in run order, when the run had more than one (this result is the median's). */
  rounds?: number[];
}

/** A scenario that was not run, and why (e.g. its server needs Redis). */
export interface SkippedScenario {
  name: string;
  server: ServerKind;
  reason: string;
}
