/** Platform floor for every password (NIST SP 800-63B asks for at least 8; we ask for 12). */
export const PASSWORD_MIN_LENGTH = 12;

/**
 * Longest password accepted anywhere, in Unicode code points after NFKC. NIST asks that at
 * least 64 be allowed and the issue at least 128; the cap exists so nobody can make us
 * normalise, estimate or hash megabytes.
 */
export const PASSWORD_MAX_LENGTH = 256;

export interface Argon2Params {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over the memory. */
  timeCost: number;
  /** Lanes; 1 keeps one hash on one libuv thread. */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1. */
export const ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});
