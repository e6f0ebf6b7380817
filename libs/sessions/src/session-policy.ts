/**
 * Authentication context class references (acr) Tessera issues, weakest first.
 * `mfa-email` is password + an emailed code: NIST SP 800-63B does not accept email as an
 * out-of-band authenticator, so it is not `mfa` (it does not satisfy step-up, and its
 * refresh lifetime is that of a password login).
 */
export const ACR = {
  password: 'urn:tessera:acr:password',
  mfaEmail: 'urn:tessera:acr:mfa-email',
  mfa: 'urn:tessera:acr:mfa',
  eidHigh: 'urn:tessera:acr:eid-high',
} as const;
export type Acr = (typeof ACR)[keyof typeof ACR];

import { MAX_ACCESS_TOKEN_TTL_SECONDS, VERIFY_LEEWAY_SECONDS } from '@tessera/signing-keys';

/** Access tokens live 15 minutes (DESIGN.md); the retired-key window depends on it. */
export const ACCESS_TOKEN_TTL_S = MAX_ACCESS_TOKEN_TTL_SECONDS;
/** Clock skew accepted on exp/nbf/iat (RFC 8725 BCP: small). */
export const CLOCK_TOLERANCE_S = VERIFY_LEEWAY_SECONDS;

/**
 * Refresh lifetimes by the assurance of the original login (DESIGN.md): idle = how long an
 * unused refresh token lives (sliding); absolute caps the session whatever its use.
 */
export const REFRESH_LIFETIMES: Record<Acr, { idleS: number; absoluteS: number }> = {
  [ACR.password]: { idleS: 12 * 3600, absoluteS: 24 * 3600 },
  // Below AAL2 like a password alone (see ACR): the same lifetimes, not those of MFA.
  [ACR.mfaEmail]: { idleS: 12 * 3600, absoluteS: 24 * 3600 },
  [ACR.mfa]: { idleS: 7 * 86400, absoluteS: 30 * 86400 },
  [ACR.eidHigh]: { idleS: 30 * 86400, absoluteS: 90 * 86400 },
};

/**
 * A refresh token presented again within this many seconds of its rotation is treated as a
 * lost-response retry: refused (401) but the session is kept. Later reuse revokes the session.
 */
export const REFRESH_REUSE_GRACE_S = 10;

/** Tenants may shorten lifetimes (settings.session.{idleHours,absoluteHours}), never lengthen. */
export function lifetimesFor(acr: Acr, tenantSettings: { session?: { idleHours?: number; absoluteHours?: number } } = {}) {
  const base = REFRESH_LIFETIMES[acr];
  const idle = tenantSettings.session?.idleHours;
  const absolute = tenantSettings.session?.absoluteHours;
  return {
    idleS: typeof idle === 'number' && idle > 0 ? Math.min(base.idleS, idle * 3600) : base.idleS,
    absoluteS: typeof absolute === 'number' && absolute > 0 ? Math.min(base.absoluteS, absolute * 3600) : base.absoluteS,
  };
}
