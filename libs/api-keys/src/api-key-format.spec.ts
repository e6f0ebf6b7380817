import { formatApiKey, newKeyId, parseApiKey } from './api-key-format';

describe('API key format', () => {
  it('round-trips: prefix, key id, ≥256-bit secret, checksum', () => {
    const id = newKeyId();
    const key = formatApiKey('live', id);
    expect(key).toMatch(/^tsr_live_[0-9A-Za-z]{65}$/);
    expect(key).toHaveLength(74);
    expect(parseApiKey(key)).toEqual({ mode: 'live', keyId: id });
    expect(parseApiKey(formatApiKey('test', id))).toEqual({ mode: 'test', keyId: id });
  });

  it('refuses a typo anywhere through the checksum', () => {
    const key = formatApiKey('live', newKeyId());
    for (const i of [9, 20, 40, 67, 70]) {
      const c = key[i] === 'a' ? 'b' : 'a';
      expect(parseApiKey(key.slice(0, i) + c + key.slice(i + 1))).toBeNull();
    }
    expect(parseApiKey(key.slice(0, -1))).toBeNull();
    expect(parseApiKey(key.replace('tsr_live_', 'tsr_prod_'))).toBeNull();
    expect(parseApiKey('tsr_live_' + '0'.repeat(65))).toBeNull();
  });
});
