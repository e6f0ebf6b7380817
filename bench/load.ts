import autocannon from 'autocannon';
import { CpuMeter } from './cpu-meter';
import type { LoadRun, Scenario, ScenarioRequest, ScenarioResult } from './types';

export interface LoadSettings {
  durationSec: number;
  warmupSec: number;
  connections: number;
  /** Times the whole sequence runs; each scenario reports its median round. */
  rounds: number;
}

/** A scenario with what its setup returned, ready to be loaded. */
export interface PreparedLoad {
  scenario: Scenario;
  req: ScenarioRequest;
}

/** The one place that builds autocannon options: same client settings for every scenario. */
async function options(
  baseUrl: string,
  { scenario, req }: PreparedLoad,
  phase: LoadRun['phase'],
  durationSec: number,
  connections: number,
): Promise<autocannon.Options> {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1')
    throw new Error(`refusing to load ${url.hostname}: the bench targets 127.0.0.1 only`);
  const base: autocannon.Options = {
    // autocannon takes the path from the URL (its `path` option is only read per request).
    url: new URL(req.path ?? scenario.path, baseUrl).toString(),
    method: (req.method ?? scenario.method) as autocannon.Options['method'],
    headers: { ...scenario.headers, ...req.headers } as Record<string, string>,
    body: req.body ?? scenario.body,
    connections: scenario.connections ?? connections,
    pipelining: 1,
    duration: durationSec,
    timeout: 10,
    ...scenario.autocannon,
  };
  const perRun = req.perRun ? await req.perRun({ phase, connections: base.connections! }) : {};
  const merged = { ...base, ...perRun };
  if (new URL(merged.url).hostname !== '127.0.0.1')
    throw new Error(`refusing to load ${merged.url}: the bench targets 127.0.0.1 only`);
  return merged;
}

/** One request before the run: a scenario answering the wrong status is a broken bench, not a result. */
async function sanityCheck(baseUrl: string, { scenario, req }: PreparedLoad): Promise<void> {
  const expected = scenario.expectStatus ?? 200;
  const res = await fetch(new URL(req.path ?? scenario.path, baseUrl), {
    method: req.method ?? scenario.method,
    headers: { ...scenario.headers, ...req.headers } as Record<string, string>,
    body: req.body ?? scenario.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== expected) {
    throw new Error(
      `${scenario.name}: expected ${expected}, got ${res.status}: ${text.slice(0, 300)}`,
    );
  }
}

function toResult(
  load: PreparedLoad,
  r: autocannon.Result,
  cpu: ScenarioResult['cpu'],
  concurrentWith?: string,
): ScenarioResult {
  const statusCodes = Object.fromEntries(
    Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count ?? 0]),
  );
  const ok = Object.entries(statusCodes)
    .filter(([code]) => code.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    scenario: load.scenario,
    reqPerSec: r.requests.average,
    okPerSec: r.duration > 0 ? ok / r.duration : 0,
    totalRequests: r.requests.total,
    durationSec: r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    statusCodes,
    errors: r.errors,
    timeouts: r.timeouts,
    connections: r.connections,
    cpu,
    concurrentWith,
    notes: load.req.notes?.(),
  };
}

/**
 * Sanity request, warm-up run, measured run. CPU is sampled for the server process, this
 * process (the load generator) and the rest of the machine. With `alongside`, both loads
 * get their sanity request, then run their warm-up and their measured window at the same
 * time (two autocannon instances, started together); per-run preparation (perRun, e.g.
 * logins that seed refresh chains) happens before each window, never inside it.
 */
export async function runScenario(
  baseUrl: string,
  main: PreparedLoad,
  s: LoadSettings,
  serverPid: number,
  alongside?: PreparedLoad,
): Promise<ScenarioResult[]> {
  const loads = alongside ? [main, alongside] : [main];
  for (const load of loads) await sanityCheck(baseUrl, load);
  // Options first (perRun may log in, seed chains...), so that work never falls inside a run.
  const prepare = async (phase: LoadRun['phase'], seconds: number) => {
    const opts: autocannon.Options[] = [];
    for (const load of loads)
      opts.push(await options(baseUrl, load, phase, seconds, s.connections));
    return opts;
  };
  const start = (opts: autocannon.Options[]) => Promise.all(opts.map((o) => autocannon(o)));
  if (s.warmupSec > 0) await start(await prepare('warmup', s.warmupSec));
  const measured = await prepare('measured', s.durationSec);
  const meter = new CpuMeter(serverPid);
  meter.begin();
  const raw = await start(measured);
  const cpu = meter.end();
  return loads.map((load, i) =>
    toResult(load, raw[i]!, cpu, alongside ? loads[1 - i]!.scenario.name : undefined),
  );
}
