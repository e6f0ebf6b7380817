/**
 * Summarises a V8 CPU profile (`.cpuprofile`, e.g. from BENCH_CPU_PROF_DIR): where the
 * samples fall, by function (self time) and by package or source folder, optionally only
 * after the first N seconds (server start-up and TypeScript compilation come first).
 *
 *   node -r @swc-node/register bench/cpu-profile.ts <file.cpuprofile> [--skip-seconds N] [--until-seconds N] [--top N] [--inclusive]
 *
 * --timeline prints the share of busy samples per second, to find a scenario's window.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** node_modules/<pkg>, libs/<lib>, apps/…, bench/…, node:internal, or the V8 pseudo-frames. */
function area(url: string, fn: string): string {
  if (!url) return `(${fn || 'anonymous'})`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(libs\/[^/]+|apps\/[^/]+|bench)\//.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

function main(): void {
  const file = process.argv[2];
  if (!file)
    throw new Error('usage: cpu-profile.ts <file.cpuprofile> [--skip-seconds N] [--top N]');
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const skipUs = arg('--skip-seconds', 0) * 1e6;
  const top = arg('--top', 25);
  const untilUs = arg('--until-seconds', Infinity) * 1e6;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  forEachSample(p, (id, dt, atUs) => {
    if (atUs < skipUs || atUs >= untilUs) return;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${area(url, functionName)}:${url.split('/').pop()}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(
        `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
      );
  };
  console.log(
    `${file}: ${(total / 1e6).toFixed(1)} s of samples` +
      (skipUs ? ` (after the first ${skipUs / 1e6} s)` : ''),
  );
  if (process.argv.includes('--timeline')) timeline(p, byId);
  print('self time by package / source folder', byArea);
  print('self time by function', byFn);
  // --inclusive: time with the function anywhere on the stack (each sample counted once per
  // function), to see what a whole step costs (a guard, a hook, a Redis call).
  if (process.argv.includes('--inclusive')) {
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const incl = new Map<string, number>();
    for (const [id, us] of self) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const { functionName, url, lineNumber } = byId.get(cur)!.callFrame;
        if (!url) continue;
        const key = `${functionName || '(anonymous)'} ${area(url, functionName)}:${url.split('/').pop()}:${lineNumber + 1}`;
        if (seen.has(key)) continue;
        seen.add(key);
        incl.set(key, (incl.get(key) ?? 0) + us);
      }
    }
    print('inclusive time by function', incl);
  }
}

/** Each sample: its node, the time it stands for and when it was taken (us from the start). */
function forEachSample(p: Profile, fn: (id: number, dt: number, atUs: number) => void): void {
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    fn(id, dt, t - p.startTime);
  });
}

/** Per second of the profile: the share of samples that were not idle (program, GC, code). */
function timeline(p: Profile, byId: Map<number, ProfileNode>): void {
  const busy = new Map<number, [number, number]>();
  forEachSample(p, (id, dt, atUs) => {
    const second = Math.floor(atUs / 1e6);
    const [b, all] = busy.get(second) ?? [0, 0];
    const idle = byId.get(id)!.callFrame.functionName === '(idle)';
    busy.set(second, [b + (idle ? 0 : dt), all + dt]);
  });
  console.log('\nbusy share per second');
  for (const [second, [b, all]] of busy) console.log(`${String(second).padStart(4)} s  ${((b / all) * 100).toFixed(0).padStart(3)}%`);
}

main();
