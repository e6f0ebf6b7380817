/**
 * Helpers for the bench's child processes (services, servers, argon2). A child reports to
 * the parent over the IPC channel and never outlives it: it exits when the channel closes
 * (the parent ended, even by SIGKILL) and after a hard lifetime cap the parent sets.
 */

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'result'; data: unknown }
  | { type: 'error'; message: string };

const MAX_LIFETIME_MS = Number(process.env.BENCH_CHILD_MAX_LIFETIME_MS ?? 15 * 60_000);

/** Resolves once the message is handed to the channel (so exiting right after loses nothing). */
export function send(message: ChildMessage): Promise<void> {
  return new Promise((res) => {
    if (!process.send || !process.connected) return res();
    process.send(message, undefined, {}, () => res());
  });
}

/** Exit with the parent, and in any case after MAX_LIFETIME_MS. */
export function tieToParent(onStop: () => Promise<void> = async () => undefined): void {
  if (!process.send) {
    console.error('bench child started without an IPC channel; run it through bench/run.ts');
    process.exit(2);
  }
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    // Never hang on close: a stuck shutdown still ends the process.
    setTimeout(() => process.exit(code), 5_000).unref();
    onStop().then(
      () => process.exit(code),
      () => process.exit(1),
    );
  };
  // The parent stops a child by closing the channel. Signals keep their default effect
  // (or Nest's shutdown hooks in the app), so Ctrl-C on the terminal ends everything.
  process.on('disconnect', () => stop(0));
  setTimeout(() => stop(3), MAX_LIFETIME_MS).unref();
}

export function failAndExit(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(message);
  setTimeout(() => process.exit(1), 2_000).unref();
  void send({ type: 'error', message }).then(() => process.exit(1));
}
