import { ConcurrencyGate, defaultArgon2Concurrency } from './argon2-gate';

describe('ConcurrencyGate', () => {
  it('never runs more than its limit at once, and runs everything', async () => {
    const gate = new ConcurrencyGate(2);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gate.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('releases its slot when the work fails', async () => {
    const gate = new ConcurrencyGate(1);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });

  it('leaves two threadpool threads free by default', () => {
    expect(defaultArgon2Concurrency({})).toBe(2);
    expect(defaultArgon2Concurrency({ UV_THREADPOOL_SIZE: '8' })).toBe(6);
    expect(defaultArgon2Concurrency({ UV_THREADPOOL_SIZE: '2' })).toBe(1);
  });
});
