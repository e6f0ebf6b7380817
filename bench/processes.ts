import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { ChildMessage } from './child';

/** Repository root: children run with it as cwd so @swc-node/register finds tsconfig.json. */
export const ROOT = resolve(__dirname, '..');

export interface SpawnedChild {
  child: ChildProcess;
  /** Resolves with the first `ready`/`result` message; rejects on `error`, exit or timeout. */
  message: Promise<ChildMessage>;
  /** Closes the IPC channel (the child shuts down cleanly), SIGKILL after 8 s. */
  stop(): Promise<void>;
}

const live = new Map<ChildProcess, { handle: SpawnedChild; killOnExit: boolean }>();

// Last resort when the parent ends without stopping a child. A child that must clean up
// after itself (services-child.ts) is left to do so: the channel closes as this process
// exits, and it stops on that.
process.on('exit', () => {
  for (const [child, { killOnExit }] of live) if (killOnExit) child.kill('SIGKILL');
});

/**
 * Starts `node -r @swc-node/register bench/<entry>` with an IPC channel. stdout goes to
 * `stdoutFd` (a log file for the app server) or is dropped; stderr is passed through.
 */
export function spawnTsChild(
  entry: string,
  opts: {
    env: NodeJS.ProcessEnv;
    stdoutFd?: number;
    timeoutMs: number;
    /** The child exits by itself after this long, whatever happens to the parent. */
    maxLifetimeMs: number;
    killOnExit?: boolean;
    /** Extra node options before the entry, e.g. `--cpu-prof` (BENCH_CPU_PROF_DIR). */
    execArgv?: string[];
  },
): SpawnedChild {
  const args = [...(opts.execArgv ?? []), '-r', '@swc-node/register', join(ROOT, 'bench', entry)];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...opts.env,
      BENCH_CHILD_MAX_LIFETIME_MS: String(opts.maxLifetimeMs),
      // @swc-node/register reads this tsconfig (and its `paths` alias @tessera/*).
      SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    },
    stdio: ['ignore', opts.stdoutFd ?? 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));

  const message = new Promise<ChildMessage>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`${entry}: no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    child.once('message', (m: ChildMessage) => {
      clearTimeout(timer);
      if (m.type === 'error') rej(new Error(`${entry} failed:\n${m.message}`));
      else res(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rej(new Error(`${entry} exited (code ${code}, signal ${signal}) before reporting`));
    });
  });
  // A rejection nobody awaits yet must not crash the parent.
  message.catch(() => undefined);

  const handle: SpawnedChild = {
    child,
    message,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.disconnect();
        const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
  live.set(child, { handle, killOnExit: opts.killOnExit ?? true });
  void exited.then(() => live.delete(child));
  return handle;
}

/** Stops every child still running, cleanly where possible. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live.values()].map(({ handle }) => handle.stop()));
}
