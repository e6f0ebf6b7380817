import autocannon from 'autocannon';
import { CpuMeter } from './cpu-meter';
import type { Scenario, ScenarioRequest, ScenarioResult } from './types';

export interface LoadSettings {
  durationSec: number;
  warmupSec: number;
  connections: number;
}

/** The one place that builds autocannon options: same client settings for every scenario. */
function options(
  baseUrl: string,
  scenario: Scenario,
  req: ScenarioRequest,
  durationSec: number,
  connections: number,
): autocannon.Options {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1')
    throw new Error(`refusing to load ${url.hostname}: the bench targets 127.0.0.1 only`);
  return {
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
}

/** One request before the run: a scenario answering the wrong status is a broken bench, not a result. */
async function sanityCheck(
  baseUrl: string,
  scenario: Scenario,
  req: ScenarioRequest,
): Promise<void> {
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

/**
 * Sanity request, warm-up run, measured run. CPU is sampled for the server process, this
 * process (the load generator) and the rest of the machine.
 */
export async function runScenario(
  baseUrl: string,
  scenario: Scenario,
  req: ScenarioRequest,
  s: LoadSettings,
  serverPid: number,
): Promise<ScenarioResult> {
  await sanityCheck(baseUrl, scenario, req);
  if (s.warmupSec > 0)
    await autocannon(options(baseUrl, scenario, req, s.warmupSec, s.connections));
  const meter = new CpuMeter(serverPid);
  meter.begin();
  const r = await autocannon(options(baseUrl, scenario, req, s.durationSec, s.connections));
  const cpu = meter.end();
  return {
    scenario,
    reqPerSec: r.requests.average,
    totalRequests: r.requests.total,
    durationSec: r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    statusCodes: Object.fromEntries(
      Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count ?? 0]),
    ),
    errors: r.errors,
    timeouts: r.timeouts,
    connections: r.connections,
    cpu,
  };
}
