import {
  isValidKid,
  retiredPublishSeconds,
  signingKeyOptionsFromEnv,
  SigningKeyOptionsError,
} from './signing-key.options';

describe('signing key options', () => {
  it('defaults: 30-day rotation, 10-minute propagation, hourly check, 60 s caches, 10 s unknown-kid refresh', () => {
    expect(signingKeyOptionsFromEnv({})).toEqual({
      rotationPeriodMs: 30 * 86_400_000,
      propagationDelayMs: 600_000,
      checkIntervalMs: 3_600_000,
      cacheTtlMs: 60_000,
      unknownKidRefreshMs: 10_000,
      manageKeys: true,
    });
  });

  it('reads and validates the environment', () => {
    const o = signingKeyOptionsFromEnv({
      SIGNING_KEY_ROTATION_DAYS: '7',
      SIGNING_KEY_PROPAGATION_MINUTES: '15',
      SIGNING_KEY_CHECK_INTERVAL_MINUTES: '5',
    });
    expect(o).toMatchObject({
      rotationPeriodMs: 7 * 86_400_000,
      propagationDelayMs: 900_000,
      checkIntervalMs: 300_000,
    });
    expect(() => signingKeyOptionsFromEnv({ SIGNING_KEY_ROTATION_DAYS: 'soon' })).toThrow(
      SigningKeyOptionsError,
    );
    expect(() => signingKeyOptionsFromEnv({ SIGNING_KEY_ROTATION_DAYS: '0' })).toThrow(
      /between 1 and 365/,
    );
    expect(() => signingKeyOptionsFromEnv({ SIGNING_KEY_ROTATION_DAYS: '-3' })).toThrow(
      SigningKeyOptionsError,
    );
    expect(() => signingKeyOptionsFromEnv({ SIGNING_KEY_CHECK_INTERVAL_MINUTES: '1.5' })).toThrow(
      SigningKeyOptionsError,
    );
  });

  it('refuses a propagation delay shorter than the JWKS max-age plus our cache (a key must be seen before it signs)', () => {
    expect(() => signingKeyOptionsFromEnv({ SIGNING_KEY_PROPAGATION_MINUTES: '5' })).toThrow(
      /between 7 and/,
    );
    expect(() =>
      signingKeyOptionsFromEnv({
        SIGNING_KEY_ROTATION_DAYS: '1',
        SIGNING_KEY_PROPAGATION_MINUTES: '1440',
      }),
    ).toThrow(/longer than/);
  });

  it('keeps a retired key published for the token lifetime plus the signing cache plus the verify leeway', () => {
    expect(retiredPublishSeconds({ cacheTtlMs: 60_000 })).toBe(15 * 60 + 60 + 60);
  });

  it('accepts thumbprint kids only, and rejects traversal, SQL, oversize and non-strings', () => {
    expect(isValidKid('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')).toBe(true);
    for (const bad of [
      '',
      'short',
      '../../etc/passwd',
      "x' or '1'='1",
      'a'.repeat(65),
      'a'.repeat(10_240),
      'kid with space',
      'kïd-aaaaaaaa',
      null,
      42,
      {},
    ]) {
      expect(isValidKid(bad)).toBe(false);
    }
  });
});
