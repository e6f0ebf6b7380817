import {
  newRecoveryCode,
  newRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes';

describe('recovery codes', () => {
  it('ten distinct codes of ten unambiguous symbols, shown as xxxxx-xxxxx', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of codes) expect(c).toMatch(/^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/);
    expect(newRecoveryCode()).not.toMatch(/[01ilo]/);
  });

  it('normalises what a person types: case, spaces and hyphens do not matter; anything else is not a code', () => {
    expect(normalizeRecoveryCode('ABCDE-FGHJK')).toBe('abcdefghjk');
    expect(normalizeRecoveryCode(' abcde fghjk ')).toBe('abcdefghjk');
    for (const bad of ['abcde-fghj', 'abcde-fghjkm', 'abcde-fghj1', '123456', ''])
      expect(normalizeRecoveryCode(bad)).toBeNull();
  });
});
