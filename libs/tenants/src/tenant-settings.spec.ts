import { cleanSettings, mergeSettings, sameSettings } from './tenant-settings';

describe('tenant settings', () => {
  it('keeps only known keys and well-formed values', () => {
    const dirty = {
      mfa: { requiredForAll: true, extra: 1 },
      passwordPolicy: { minLength: 8, minScore: 4, maxLength: 10 },
      allowedEmailDomains: ['Example.COM', 'example.com', 42, ''],
      admin: true,
    } as unknown as Parameters<typeof cleanSettings>[0];
    expect(cleanSettings(dirty)).toEqual({
      mfa: { requiredForAll: true },
      passwordPolicy: { minScore: 4 },
      allowedEmailDomains: ['example.com'],
    });
    expect(
      cleanSettings({ passwordPolicy: { minLength: 11 }, mfa: {}, allowedEmailDomains: [] }),
    ).toEqual({});
    expect(cleanSettings(null)).toEqual({});
  });

  it('merges by top-level key; null removes a key', () => {
    const current = { mfa: { requiredForAll: true }, passwordPolicy: { minLength: 16 } };
    expect(mergeSettings(current, { passwordPolicy: { minScore: 4 } })).toEqual({
      mfa: { requiredForAll: true },
      passwordPolicy: { minScore: 4 },
    });
    expect(mergeSettings(current, { mfa: null })).toEqual({ passwordPolicy: { minLength: 16 } });
    expect(mergeSettings(current, {})).toEqual(current);
  });

  it('compares independently of key order (jsonb reorders keys)', () => {
    expect(
      sameSettings(
        { passwordPolicy: { minScore: 4, minLength: 14 }, mfa: { requiredForAll: false } },
        { mfa: { requiredForAll: false }, passwordPolicy: { minLength: 14, minScore: 4 } },
      ),
    ).toBe(true);
    expect(sameSettings({}, { mfa: { requiredForAll: false } })).toBe(false);
  });

  it('keeps both MFA switches, only as booleans', () => {
    expect(cleanSettings({ mfa: { requiredForAll: true, allowEmailForElevated: false } })).toEqual({
      mfa: { requiredForAll: true, allowEmailForElevated: false },
    });
    expect(cleanSettings({ mfa: { allowEmailForElevated: 'yes' } } as never)).toEqual({});
    expect(cleanSettings({ mfa: { allowEmailForElevated: true } })).toEqual({ mfa: { allowEmailForElevated: true } });
  });
});
