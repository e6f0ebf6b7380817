import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BenchServices,
  benchStore,
  clearStoreKeys,
  describeUrl,
  startBenchServices,
} from './database';
import { LoadSettings, PreparedLoad, runScenario } from './load';
import { productionNodeFlags } from '../apps/api/src/node-flags';
import { ROOT, spawnTsChild, stopAllChildren } from './processes';
import {
  AppLogCheck,
  Argon2Section,
  BenchReport,
  evaluateTargets,
  machineInfo,
  renderReport,
  targetLine,
} from './report';
import { SCENARIOS, SERVERS, TARGETS } from './scenarios';
import type {
  BenchDatabase,
  BenchStore,
  Scenario,
  ScenarioContext,
  ScenarioResult,
  ServerKind,
  SkippedScenario,
} from './types';

/**
 * `npm run bench`: provisions a database, starts each server in its own child process (one
 * at a time), loads it with autocannon from this process, runs the argon2 bench last, and
 * writes bench/RESULTS.md. Knobs (environment): BENCH_DURATION, BENCH_WARMUP (seconds),
 * BENCH_CONNECTIONS, BENCH_SCENARIOS (comma-separated names), BENCH_SKIP_ARGON2=1,
 * BENCH_ARGON2_DURATION_MS, BENCH_OUTPUT (report path), BENCH_CPU_PROF_DIR (V8 CPU profiles of
 * the servers). See bench/README.md.
 */

const RUN_TIMEOUT_MS = 30 * 60_000;
/** Every child exits by itself after this, even if the parent hangs. */
const CHILD_LIFETIME_MS = RUN_TIMEOUT_MS + 60_000;
const SERVER_START_TIMEOUT_MS = 120_000;
const ARGON2_TIMEOUT_MS = 10 * 60_000;

function log(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a non-negative number (got "${raw}")`);
  return n;
}

/** A clean environment for children: nothing from the caller's shell configures the servers by accident. */
function baseEnv(nodeEnv: string): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'UV_THREADPOOL_SIZE'];
  const env: NodeJS.ProcessEnv = { NODE_ENV: nodeEnv };
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

/**
 * One master key for the whole run, like instances of one deployment: the Tessera servers
 * share the database, and signing keys written (encrypted) by the first one must decrypt
 * in the next.
 */
const RUN_MASTER_KEY = randomBytes(32).toString('base64');

function serverEnv(
  kind: ServerKind,
  nodeEnv: string,
  db: BenchDatabase,
  store: BenchStore,
  dataDir: string,
): NodeJS.ProcessEnv {
  const def = SERVERS[kind];
  const env = baseEnv(nodeEnv);
  const extra = typeof def.env === 'function' ? def.env({ database: db, store }) : def.env;
  if (!def.tessera) return { ...env, ...extra };
  return {
    ...env,
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'http://127.0.0.1',
    DATABASE_URL: db.appUrl,
    DATABASE_OWNER_URL: db.ownerUrl,
    MIGRATE_ON_START: 'false',
    TESSERA_MASTER_KEY: RUN_MASTER_KEY,
    TESSERA_DATA_DIR: dataDir,
    REDIS_PREFIX: store.prefix,
    ...(store.url ? { REDIS_URL: store.url } : {}),
    ...extra,
  };
}

async function countAccessLines(file: string): Promise<number> {
  let count = 0;
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const lines = (carry + (chunk as string)).split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) if (l.includes('"msg":"request completed"')) count++;
  }
  if (carry.includes('"msg":"request completed"')) count++;
  return count;
}

function sumRequests(results: ScenarioResult[]): number {
  return results.reduce((sum, r) => sum + r.totalRequests, 0);
}

/** Scenarios grouped by server, in first-appearance order, so each server starts once. */
/**
 * Per scenario, the round with the median req/s (its latencies and CPU with it), plus every
 * round's req/s. Two loads run together (a scenario and its `alongside`) take the round of
 * the first one's median, so their numbers stay from one window.
 */
export function medianOfRounds(byRound: ScenarioResult[][]): ScenarioResult[] {
  if (byRound.length === 1) return byRound[0]!;
  const first = byRound[0]!;
  const out: ScenarioResult[] = [];
  for (let i = 0; i < first.length; i++) {
    const x = first[i]!;
    if (x.concurrentWith && out.some((o) => o.scenario.name === x.concurrentWith)) {
      const partner = out.find((o) => o.scenario.name === x.concurrentWith)!;
      const round = partner.rounds!.indexOf(partner.reqPerSec);
      out.push({ ...byRound[round]![i]!, rounds: byRound.map((r) => r[i]!.reqPerSec) });
      continue;
    }
    const samples = byRound.map((r) => r[i]!);
    const sorted = [...samples].sort((a, b) => a.reqPerSec - b.reqPerSec);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    out.push({ ...median, rounds: samples.map((r) => r.reqPerSec) });
  }
  return out;
}

function groupByServer(list: Scenario[]): [ServerKind, Scenario[]][] {
  const groups = new Map<ServerKind, Scenario[]>();
  for (const s of list) groups.set(s.server, [...(groups.get(s.server) ?? []), s]);
  return [...groups];
}

async function runServerGroup(
  kind: ServerKind,
  scenarios: Scenario[],
  ctx: {
    nodeEnv: string;
    db: BenchDatabase;
    store: BenchStore;
    workDir: string;
    settings: LoadSettings;
  },
): Promise<{ results: ScenarioResult[]; logFile?: string }> {
  const def = SERVERS[kind];
  const logFile = def.tessera ? join(ctx.workDir, `${kind}-stdout.log`) : undefined;
  const fd = logFile ? openSync(logFile, 'w') : undefined;
  log(`starting the ${kind} server (${def.description})`);
  // BENCH_CPU_PROF_DIR: a V8 CPU profile per server, written when it exits cleanly.
  const profDir = process.env.BENCH_CPU_PROF_DIR;
  const server = spawnTsChild(def.entry, {
    env: serverEnv(kind, ctx.nodeEnv, ctx.db, ctx.store, join(ctx.workDir, 'data')),
    execArgv: [
      // Tessera servers run with production's Node flags (npm start / Dockerfile).
      ...(def.tessera ? productionNodeFlags(ROOT) : []),
      ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`, `--cpu-prof-name=${kind}.cpuprofile`] : []),
    ],
    stdoutFd: fd,
    timeoutMs: SERVER_START_TIMEOUT_MS,
    maxLifetimeMs: CHILD_LIFETIME_MS,
  });
  try {
    const ready = await server.message;
    if (ready.type !== 'ready')
      throw new Error(`${kind} server sent ${ready.type} instead of ready`);
    const baseUrl = `http://127.0.0.1:${ready.port}`;
    log(`${kind} server ready on ${baseUrl}`);
    const results: ScenarioResult[] = [];
    const sctx: ScenarioContext = { baseUrl, server: kind, database: ctx.db, store: ctx.store };
    const prepare = async (scenario: Scenario): Promise<PreparedLoad> => ({
      scenario,
      req: (await scenario.setup?.(sctx)) ?? {},
    });
    for (const scenario of scenarios) {
      const main = await prepare(scenario);
      const alongside = scenario.alongside ? await prepare(scenario.alongside) : undefined;
      log(
        `${scenario.name}${alongside ? ` + ${alongside.scenario.name} at the same time` : ''}: ` +
          `${ctx.settings.warmupSec} s warm-up + ${ctx.settings.durationSec} s`,
      );
      const rs = await runScenario(baseUrl, main, ctx.settings, server.child.pid!, alongside);
      for (const r of rs) {
        log(
          `${r.scenario.name}: ${Math.round(r.reqPerSec)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ` +
            `non-2xx ${r.non2xx}, errors ${r.errors}, statuses ${JSON.stringify(r.statusCodes)}` +
            (r.cpu
              ? `, CPU cores: server ${r.cpu.serverCores}, load generator ${r.cpu.loadCores}, other ${r.cpu.otherCores}`
              : ''),
        );
        for (const note of r.notes ?? []) log(`  ${r.scenario.name}: ${note}`);
      }
      results.push(...rs);
    }
    return { results, logFile };
  } finally {
    await server.stop();
    if (fd !== undefined) closeSync(fd);
  }
}

async function runArgon2(env: NodeJS.ProcessEnv): Promise<Argon2Section> {
  if (process.env.BENCH_SKIP_ARGON2 === '1')
    return { status: 'skipped', reason: 'BENCH_SKIP_ARGON2=1' };
  if (!existsSync(join(ROOT, 'bench', 'argon2.ts'))) {
    return { status: 'skipped', reason: 'bench/argon2.ts is not present in this tree' };
  }
  log('argon2id: running runArgon2Bench() in a child process');
  const child = spawnTsChild('argon2-child.ts', {
    env: {
      ...env,
      ...(process.env.BENCH_ARGON2_DURATION_MS
        ? { BENCH_ARGON2_DURATION_MS: process.env.BENCH_ARGON2_DURATION_MS }
        : {}),
    },
    timeoutMs: ARGON2_TIMEOUT_MS,
    maxLifetimeMs: CHILD_LIFETIME_MS,
  });
  try {
    const m = await child.message;
    if (m.type !== 'result') return { status: 'failed', reason: `unexpected message ${m.type}` };
    return { status: 'ok', data: m.data as Record<string, unknown> };
  } catch (err) {
    return {
      status: 'failed',
      reason: err instanceof Error ? err.message.split('\n')[0]! : String(err),
    };
  } finally {
    await child.stop();
  }
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const machine = machineInfo();
  const settings: LoadSettings = {
    durationSec: numberEnv('BENCH_DURATION', 10),
    warmupSec: numberEnv('BENCH_WARMUP', 2),
    connections: numberEnv('BENCH_CONNECTIONS', 50),
    rounds: Math.max(1, Math.round(numberEnv('BENCH_ROUNDS', 3))),
  };
  const only = (process.env.BENCH_SCENARIOS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(`unknown scenario(s) in BENCH_SCENARIOS: ${unknown.join(', ')}`);
  const selected = only.length ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  log(
    `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAvg1m}`,
  );

  const store = benchStore();
  // Production refuses to start without Redis; with the memory store the app runs as development.
  const nodeEnv = store.kind === 'redis' ? 'production' : 'development';
  log(
    `store: ${store.kind === 'redis' ? `Redis ${describeUrl(store.url!)}` : 'memory'}; NODE_ENV=${nodeEnv}`,
  );
  // Servers that need Redis (the reference) run only with REDIS_URL; their scenarios are
  // reported as skipped and the targets that use them as NOT RUN.
  const skipped: SkippedScenario[] = [];
  const scenarios = selected.filter((s) => {
    if (!SERVERS[s.server].needsRedis || store.kind === 'redis') return true;
    for (const x of [s, ...(s.alongside ? [s.alongside] : [])]) {
      skipped.push({ name: x.name, server: x.server, reason: 'no REDIS_URL' });
      log(`${x.name}: skipped (no REDIS_URL)`);
    }
    return false;
  });

  let services: BenchServices | undefined;
  const cleanup = async () => {
    await services
      ?.teardown()
      .catch((err: unknown) => log(`database teardown failed: ${String(err)}`));
    // Servers, argon2, and the services child if it started but provisioning failed.
    await stopAllChildren();
    // After the servers: none of them writes a key any more.
    await clearStoreKeys(store).then(
      (n) => {
        if (n) log(`removed ${n} keys under ${store.prefix} from Redis`);
      },
      (err: unknown) => log(`Redis clean-up failed: ${String(err)}`),
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    log(`run exceeded ${RUN_TIMEOUT_MS / 60_000} min: stopping`);
    void cleanup().finally(() => process.exit(1));
  }, RUN_TIMEOUT_MS);
  watchdog.unref();

  try {
    services = await startBenchServices(log, baseEnv(nodeEnv), CHILD_LIFETIME_MS);
    const { database: firstDb, workDir } = services;
    const byRound: ScenarioResult[][] = [];
    const appLogs: AppLogCheck[] = [];
    // Rounds: the whole sequence again, so each scenario is measured at several moments and
    // a neighbour's burst on this shared machine moves one sample, not the result (median).
    let db = firstDb;
    for (let round = 1; round <= settings.rounds; round++) {
      if (settings.rounds > 1) log(`round ${round} of ${settings.rounds}`);
      // Every round on an empty database: refresh and login rounds were otherwise measured
      // against the sessions and audit rows of the rounds before (756 / 709 / 489 refreshes/s).
      if (round > 1) db = await services.freshDatabase();
      const results: ScenarioResult[] = [];
      for (const [kind, group] of groupByServer(scenarios)) {
        const out = await runServerGroup(kind, group, { nodeEnv, db, store, workDir, settings });
        results.push(...out.results);
        if (out.logFile)
          appLogs.push({
            server: kind,
            accessLines: await countAccessLines(out.logFile),
            requests: sumRequests(out.results),
          });
      }
      byRound.push(results);
    }
    const results = medianOfRounds(byRound);
    // Last, so its CPU use never overlaps an HTTP scenario.
    const argon2 = await runArgon2(baseEnv(nodeEnv));

    // After argon2: ratios against its verify rate are only known now.
    const targets = evaluateTargets(TARGETS, results, skipped, argon2);
    const report: BenchReport = {
      startedAt,
      finishedAt: new Date(),
      machine,
      database: db,
      store,
      nodeEnv,
      settings,
      servers: [...new Set(results.map((x) => x.scenario.server))].map((kind) => ({
        kind,
        description: SERVERS[kind].description,
      })),
      results,
      skipped,
      targets,
      appLogs,
      argon2,
    };
    const output = process.env.BENCH_OUTPUT ?? join(ROOT, 'bench', 'RESULTS.md');
    writeFileSync(output, renderReport(report));
    log(`wrote ${output}`);
    for (const t of targets) log(`target ${targetLine(t)}`);
    if (argon2.status !== 'ok') log(`argon2id: ${argon2.status} (${argon2.reason})`);
    return targets.some((t) => t.pass === false) ? 1 : 0;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[bench] failed:', err instanceof Error ? err.message : err);
    void stopAllChildren().finally(() => process.exit(1));
  },
);
