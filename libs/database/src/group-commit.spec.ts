import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes a lone item at once, and groups what arrives while a group is being written', async () => {
    const groups: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      groups.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((i) => i * 10);
    });
    const first = gc.submit('k', 1);
    const rest = [2, 3, 4].map((i) => gc.submit('k', i));
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps keys apart: one key’s group never waits for another’s', async () => {
    const groups: string[][] = [];
    const gc = new GroupCommit<string, string>(async (items) => {
      groups.push(items);
      return items;
    });
    await Promise.all([gc.submit('a', 'a1'), gc.submit('b', 'b1'), gc.submit('a', 'a2')]);
    expect(groups).toEqual([['a1'], ['b1'], ['a2']]);
  });

  it('a failing group is retried item by item: only the bad item’s caller fails', async () => {
    const calls: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      calls.push(items);
      await new Promise((r) => setTimeout(r, 1));
      if (items.includes(13)) throw new Error('bad item');
      return items;
    });
    const lone = gc.submit('k', 1);
    const grouped = [2, 13, 4].map((i) => gc.submit('k', i).then(
      (v) => ({ ok: v }),
      (e: Error) => ({ err: e.message }),
    ));
    expect(await lone).toBe(1);
    expect(await Promise.all(grouped)).toEqual([{ ok: 2 }, { err: 'bad item' }, { ok: 4 }]);
    expect(calls).toEqual([[1], [2, 13, 4], [2], [13], [4]]);
  });

  it('a writer that answers the wrong number of results fails the group, not silently', async () => {
    const gc = new GroupCommit<number, number>(async () => []);
    await expect(gc.submit('k', 1)).rejects.toThrow('0 results for 1 items');
  });

  it('caps a group at maxGroup items', async () => {
    const sizes: number[] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 1));
      return items;
    }, 3);
    await Promise.all(Array.from({ length: 8 }, (_, i) => gc.submit('k', i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});
