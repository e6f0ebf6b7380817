import { generate, generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 parameters every authenticator app understands: SHA-1, 6 digits, 30 s. */
export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** 160-bit secrets (RFC 4226 §4 recommends ≥ 160 bits). */
const SECRET_BYTES = 20;

export type TotpCheck = { valid: true; step: number } | { valid: false };

export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

export function totpUri(issuer: string, label: string, secret: string): string {
  return generateURI({ issuer, label, secret, digits: TOTP_DIGITS, period: TOTP_PERIOD_S });
}

/**
 * Checks a code against the current step and one step either side (clock drift, RFC 6238
 * §5.2); two steps away is refused. Returns the matched time step, which the caller stores
 * so the same code (or an older one) is refused next time: replay protection is the
 * caller's, against the stored last step. Constant-time comparison is otplib's.
 */
export async function checkTotp(
  secret: string,
  code: string,
  nowS = Date.now() / 1000,
): Promise<TotpCheck> {
  if (!/^\d{6}$/.test(code)) return { valid: false };
  const r = await verify({
    secret,
    token: code,
    epoch: Math.floor(nowS),
    epochTolerance: TOTP_PERIOD_S,
    period: TOTP_PERIOD_S,
    digits: TOTP_DIGITS,
  });
  if (!r.valid || !('timeStep' in r) || Math.abs(r.delta) > 1) return { valid: false };
  return { valid: true, step: r.timeStep };
}

/** The code of a given moment (tests, and nothing else in production). */
export function totpCodeAt(secret: string, epochS: number): Promise<string> {
  return generate({
    secret,
    epoch: Math.floor(epochS),
    period: TOTP_PERIOD_S,
    digits: TOTP_DIGITS,
  });
}
