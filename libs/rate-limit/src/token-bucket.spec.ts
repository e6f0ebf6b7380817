import { MemoryBuckets } from './token-bucket';

describe('token buckets (GCRA)', () => {
  const policy = { perMinute: 100, burst: 200 };

  it('lets a full bucket burst, then refills at the sustained rate', () => {
    const b = new MemoryBuckets();
    const now = 1_000_000;
    for (let i = 0; i < 200; i++) expect(b.take(['k'], [policy], now).allowed).toBe(true);
    const refused = b.take(['k'], [policy], now);
    expect(refused.allowed).toBe(false);
    expect(refused.states[0]).toMatchObject({ remaining: 0, retryMs: 600 });
    // One token per 600 ms (100/min).
    expect(b.take(['k'], [policy], now + 599).allowed).toBe(false);
    expect(b.take(['k'], [policy], now + 600).allowed).toBe(true);
    expect(b.take(['k'], [policy], now + 600).allowed).toBe(false);
  });

  it('reports what is left and when the bucket is full again', () => {
    const b = new MemoryBuckets();
    const first = b.take(['k'], [policy], 0);
    expect(first.states[0]).toEqual({ remaining: 199, resetMs: 600, retryMs: 0 });
  });

  it('consumes from no bucket when one of them refuses', () => {
    const b = new MemoryBuckets();
    const small = { perMinute: 60, burst: 1 };
    expect(b.take(['tenant', 'key'], [policy, small], 0).allowed).toBe(true);
    const refused = b.take(['tenant', 'key'], [policy, small], 0);
    expect(refused.allowed).toBe(false);
    expect(refused.states[0]!.remaining).toBe(199);
    expect(refused.states[1]!.retryMs).toBe(1000);
  });
});
