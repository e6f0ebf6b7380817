/** The only algorithm we sign with and the only one a verifier may accept (RFC 8725 §3.1). */
export const SIGNING_ALG = 'ES256' as const;

/**
 * Upper bound of an access token's lifetime (DESIGN.md: 15 min). A retired key stays published
 * for this long plus the slack below, so every token it signed can still be verified.
 */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

/** Clock leeway a verifier may allow on `exp`/`nbf` (issue: at most 60 s). */
export const VERIFY_LEEWAY_SECONDS = 60;

/** `Cache-Control: max-age` of the JWKS document; must stay below the propagation delay. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** Injection token for option overrides (SigningKeysModule.forRoot / forCli). */
export const SIGNING_KEYS_MODULE_OPTIONS = Symbol('SIGNING_KEYS_MODULE_OPTIONS');

export interface SigningKeyOptions {
  /** Create a 'next' key when the active one is older than this (SIGNING_KEY_ROTATION_DAYS, default 30). */
  rotationPeriodMs: number;
  /** How long a 'next' key is published before it may sign (SIGNING_KEY_PROPAGATION_MINUTES, default 10). */
  propagationDelayMs: number;
  /** How often the scheduler checks (SIGNING_KEY_CHECK_INTERVAL_MINUTES, default 60). */
  checkIntervalMs: number;
  /** Age after which the in-memory signing and verification caches are reloaded. */
  cacheTtlMs: number;
  /** An unknown kid reloads the published keys at most this often (floods of random kids never reach the DB). */
  unknownKidRefreshMs: number;
  /** Ensure an active key and run the rotation scheduler (the API). The CLI turns this off. */
  manageKeys: boolean;
}

export class SigningKeyOptionsError extends Error {}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Our instances refresh their caches every `cacheTtlMs` (60 s) and relying parties may cache
 * the JWKS for JWKS_MAX_AGE_SECONDS (300 s): a new key must be published longer than both
 * before it signs, so the propagation delay may not be shorter than 7 minutes.
 */
const MIN_PROPAGATION_MINUTES = 7;

function intFromEnv(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new SigningKeyOptionsError(`${name} must be a whole number (got "${raw}")`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new SigningKeyOptionsError(`${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}

/**
 * Rotation timings from the environment, validated. They belong in @tessera/config
 * (`config.signingKeys`); until they move there this module reads them itself.
 */
export function signingKeyOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): SigningKeyOptions {
  const rotationDays = intFromEnv(env, 'SIGNING_KEY_ROTATION_DAYS', 30, 1, 365);
  const propagationMinutes = intFromEnv(
    env,
    'SIGNING_KEY_PROPAGATION_MINUTES',
    10,
    MIN_PROPAGATION_MINUTES,
    24 * 60,
  );
  const checkMinutes = intFromEnv(env, 'SIGNING_KEY_CHECK_INTERVAL_MINUTES', 60, 1, 24 * 60);
  if (rotationDays * DAY <= propagationMinutes * MINUTE) {
    throw new SigningKeyOptionsError(
      'SIGNING_KEY_ROTATION_DAYS must be longer than SIGNING_KEY_PROPAGATION_MINUTES',
    );
  }
  return {
    rotationPeriodMs: rotationDays * DAY,
    propagationDelayMs: propagationMinutes * MINUTE,
    checkIntervalMs: checkMinutes * MINUTE,
    cacheTtlMs: 60_000,
    unknownKidRefreshMs: 10_000,
    manageKeys: true,
  };
}

/** A kid we could have issued: the RFC 7638 thumbprint (43 chars), within the table's own check. */
const KID = /^[A-Za-z0-9_-]{8,64}$/;

/** Checked before any cache or database lookup: oversize, path or SQL characters never go further. */
export function isValidKid(kid: unknown): kid is string {
  return typeof kid === 'string' && kid.length <= 64 && KID.test(kid);
}

/**
 * Seconds a retired key stays published: the longest access token it may have signed, plus
 * the other instances' signing cache (they may sign with it for up to cacheTtlMs after the
 * promotion), plus the verifier's clock leeway.
 */
export function retiredPublishSeconds(options: Pick<SigningKeyOptions, 'cacheTtlMs'>): number {
  return (
    MAX_ACCESS_TOKEN_TTL_SECONDS + Math.ceil(options.cacheTtlMs / 1000) + VERIFY_LEEWAY_SECONDS
  );
}
