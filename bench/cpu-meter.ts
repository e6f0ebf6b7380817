import { readFileSync } from 'node:fs';

/**
 * How much CPU the rest of the machine used while a scenario ran (Linux /proc only).
 * On a small machine shared with other work, a busy neighbour lowers one scenario's
 * numbers and not the other's; this makes that visible in RESULTS.md instead of hiding it.
 */
interface Sample {
  busyTicks: number;
  serverTicks: number;
  loadTicks: number;
  at: number;
}

/** Average cores used over the window by the server, the load generator (this process) and the rest. */
export interface CpuUse {
  serverCores: number;
  loadCores: number;
  otherCores: number;
}

const TICKS_PER_SEC = 100; // USER_HZ on Linux

function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export class CpuMeter {
  private start?: Sample;

  constructor(private readonly serverPid: number) {}

  private sample(): Sample | undefined {
    try {
      return {
        busyTicks: machineBusyTicks(),
        serverTicks: processTicks(this.serverPid),
        loadTicks: processTicks(process.pid),
        at: Date.now(),
      };
    } catch {
      return undefined; // not Linux
    }
  }

  begin(): void {
    this.start = this.sample();
  }

  end(): CpuUse | undefined {
    const end = this.sample();
    if (!this.start || !end) return undefined;
    const seconds = (end.at - this.start.at) / 1000;
    if (seconds <= 0) return undefined;
    const cores = (ticks: number) => ticks / TICKS_PER_SEC / seconds;
    const server = cores(end.serverTicks - this.start.serverTicks);
    const load = cores(end.loadTicks - this.start.loadTicks);
    const all = cores(end.busyTicks - this.start.busyTicks);
    return {
      serverCores: round2(server),
      loadCores: round2(load),
      otherCores: round2(Math.max(0, all - server - load)),
    };
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;
