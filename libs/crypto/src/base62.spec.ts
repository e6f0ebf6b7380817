import { crc32 } from 'node:zlib';
import { BASE62, crc32Base62, randomBase62, toBase62 } from './base62';

describe('base62 helpers', () => {
  it('makes random strings of the asked length from the alphabet only', () => {
    const s = randomBase62(43);
    expect(s).toMatch(/^[0-9A-Za-z]{43}$/);
    expect(randomBase62(43)).not.toBe(s);
  });

  it('uses every character about equally often (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const c of randomBase62(62 * 400)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(250);
      expect(n).toBeLessThan(560);
    }
  });

  it('encodes integers with padding and checksums to 6 characters', () => {
    expect(toBase62(0, 3)).toBe('000');
    expect(toBase62(61, 1)).toBe('z');
    expect(toBase62(62, 1)).toBe('10');
    expect(toBase62(0xffffffff, 6)).toHaveLength(6);
    const text = 'tsr_live_abc';
    const v = crc32(text);
    const decoded = [...crc32Base62(text)].reduce((acc, c) => acc * 62 + BASE62.indexOf(c), 0);
    expect(decoded).toBe(v);
    expect(crc32Base62('tsr_live_abd')).not.toBe(crc32Base62(text));
  });
});
