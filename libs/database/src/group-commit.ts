interface Pending<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: items submitted while the previous group of their key is being written go
 * together in the next group — one statement, one transaction, one WAL flush for N callers.
 * Under no load a group is one item (no added latency: nothing waits for a timer); under
 * load the cost per item falls as the groups grow. Each caller still returns only after its
 * own item's group has committed, with its own result.
 *
 * A group that fails is retried item by item, so one bad item fails only its own caller.
 * `write` must therefore be all-or-nothing per call (one statement or one transaction) and
 * return one result per item, in order.
 */
export class GroupCommit<I, O = void> {
  private readonly queues = new Map<string, Pending<I, O>[]>();
  private readonly flushing = new Set<string>();

  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly maxGroup = 500,
  ) {}

  submit(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) queue.push({ item, resolve, reject });
      else this.queues.set(key, [{ item, resolve, reject }]);
      if (!this.flushing.has(key)) void this.flush(key);
    });
  }

  /** Writes the queued items of one key, group after group, until none is left. */
  private async flush(key: string): Promise<void> {
    this.flushing.add(key);
    try {
      for (;;) {
        const queue = this.queues.get(key);
        if (!queue?.length) {
          this.queues.delete(key);
          return;
        }
        const group = queue.splice(0, this.maxGroup);
        try {
          const out = await this.write(group.map((p) => p.item));
          if (out.length !== group.length) throw new Error(`group commit: ${out.length} results for ${group.length} items`);
          group.forEach((p, i) => p.resolve(out[i] as O));
        } catch (err) {
          if (group.length === 1) group[0]!.reject(err);
          else
            for (const p of group) {
              await this.write([p.item]).then((out) => (out.length === 1 ? p.resolve(out[0] as O) : p.reject(err)), p.reject);
            }
        }
      }
    } finally {
      this.flushing.delete(key);
    }
  }
}
