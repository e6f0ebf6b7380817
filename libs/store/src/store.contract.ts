import { KeyValueStore, parseVersioned } from './store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One behaviour, two backends: every KeyValueStore must pass this suite. */
export function storeContract(name: string, make: () => Promise<KeyValueStore>): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    let store: KeyValueStore;
    const k = (s: string) => `contract:${Math.random().toString(36).slice(2)}:${s}`;

    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => {
      await store.close();
    });

    it('gets what was set, and null for a missing key', async () => {
      const key = k('a');
      expect(await store.get(key)).toBeNull();
      await store.set(key, 'v1', 10_000);
      expect(await store.get(key)).toBe('v1');
    });

    it('expires keys after their time to live', async () => {
      const key = k('ttl');
      await store.set(key, 'v', 80);
      expect(await store.ttl(key)).toBeGreaterThan(0);
      await sleep(150);
      expect(await store.get(key)).toBeNull();
      expect(await store.ttl(key)).toBe(-1);
    });

    it('setIfAbsent creates once and reports who won', async () => {
      const key = k('nx');
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => store.setIfAbsent(key, String(i), 10_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('getMany reads several keys in one call, null for missing ones', async () => {
      const [a, b] = [k('m1'), k('m2')];
      await store.set(a, 'x', 10_000);
      expect(await store.getMany([a, b])).toEqual(['x', null]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('setIfNewer keeps the highest version whatever order writes arrive in', async () => {
      const key = k('ver');
      expect(await store.setIfNewer(key, 2, 'two', 10_000)).toBe(true);
      expect(await store.setIfNewer(key, 1, 'one', 10_000)).toBe(false);
      expect(await store.setIfNewer(key, 2, 'again', 10_000)).toBe(false);
      expect(parseVersioned(await store.get(key))).toEqual({ version: 2, value: 'two' });
      expect(await store.setIfNewer(key, 3, 'x|y', 10_000)).toBe(true);
      expect(parseVersioned(await store.get(key))).toEqual({ version: 3, value: 'x|y' });
    });

    it('writeBatch applies sets and set additions together', async () => {
      const [a, b] = [k('b1'), k('b2')];
      await store.writeBatch([
        { kind: 'addToSet', key: b, members: ['x', 'y'], ttlMs: 10_000 },
        { kind: 'set', key: a, value: 'v', ttlMs: 10_000 },
        { kind: 'addToSet', key: b, members: ['z'], ttlMs: 10_000 },
      ]);
      expect(await store.get(a)).toBe('v');
      expect(await store.ttl(b)).toBeGreaterThan(9_000);
      expect((await store.takeSet(b)).sort()).toEqual(['x', 'y', 'z']);
      expect(await store.ttl(a)).toBeGreaterThan(9_000);
      await store.writeBatch([{ kind: 'addToSet', key: b, members: [], ttlMs: 10_000 }]);
      expect(await store.ttl(b)).toBe(-1);
    });

    it('writeBatch with unlessExists writes nothing while a guard key exists', async () => {
      const [guard, other, a, b] = [k('g1'), k('g2'), k('b3'), k('b4')];
      const ops = [
        { kind: 'set' as const, key: a, value: 'v', ttlMs: 10_000 },
        { kind: 'addToSet' as const, key: b, members: ['m'], ttlMs: 10_000 },
      ];
      await store.set(guard, '1', 10_000);
      expect(await store.writeBatch(ops, { unlessExists: [other, guard] })).toBe(false);
      expect(await store.get(a)).toBeNull();
      expect(await store.ttl(b)).toBe(-1);
      await store.del(guard);
      expect(await store.writeBatch(ops, { unlessExists: [other, guard] })).toBe(true);
      expect(await store.get(a)).toBe('v');
      expect(await store.takeSet(b)).toEqual(['m']);
    });

    it('writeBatchThenGet writes, then reads keys as they are after the writes (missing ones null)', async () => {
      const [a, b, c] = [k('wg1'), k('wg2'), k('wg3')];
      await store.set(b, 'before', 10_000);
      const got = await store.writeBatchThenGet(
        [
          { kind: 'set', key: a, value: 'written', ttlMs: 10_000 },
          { kind: 'addToSet', key: c, members: ['m'], ttlMs: 10_000 },
        ],
        [a, k('wg-missing'), b],
      );
      expect(got).toEqual(['written', null, 'before']);
      expect(await store.takeSet(c)).toEqual(['m']);
      expect(await store.writeBatchThenGet([], [b])).toEqual(['before']);
    });

    it('del removes keys and counts the ones that existed', async () => {
      const [a, b] = [k('d1'), k('d2')];
      await store.set(a, '1', 10_000);
      expect(await store.del(a, b)).toBe(1);
      expect(await store.get(a)).toBeNull();
      expect(await store.del()).toBe(0);
    });

    it('incrWindow counts atomically within one window and restarts after it', async () => {
      const key = k('ctr');
      const counts = await Promise.all(Array.from({ length: 20 }, () => store.incrWindow(key, 200)));
      expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const c of counts) expect(c.ttlMs).toBeLessThanOrEqual(200);
      await sleep(260);
      expect((await store.incrWindow(key, 200)).count).toBe(1);
    });

    it('incrWindowUnlessBlocked counts like incrWindow, and counts nothing while the blocker lives', async () => {
      const key = k('ctr2');
      const lock = k('lock2');
      expect(await store.incrWindowUnlessBlocked(key, lock, 10_000)).toMatchObject({ count: 1, blockedMs: 0 });
      expect(await store.incrWindowUnlessBlocked(key, lock, 10_000)).toMatchObject({ count: 2, blockedMs: 0 });
      await store.set(lock, '1', 200);
      const blocked = await store.incrWindowUnlessBlocked(key, lock, 10_000);
      expect(blocked.count).toBe(0);
      expect(blocked.blockedMs).toBeGreaterThan(0);
      expect(blocked.blockedMs).toBeLessThanOrEqual(200);
      await sleep(260);
      const after = await store.incrWindowUnlessBlocked(key, lock, 10_000);
      expect(after).toMatchObject({ count: 3, blockedMs: 0 });
      expect(after.ttlMs).toBeGreaterThan(0);
    });

    it('addToSet accumulates members; takeSet returns them once and empties the set', async () => {
      const key = k('set');
      await store.addToSet(key, ['a', 'b'], 10_000);
      await store.addToSet(key, ['b', 'c'], 10_000);
      expect((await store.takeSet(key)).sort()).toEqual(['a', 'b', 'c']);
      expect(await store.takeSet(key)).toEqual([]);
      await store.addToSet(key, [], 10_000);
      expect(await store.takeSet(key)).toEqual([]);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
