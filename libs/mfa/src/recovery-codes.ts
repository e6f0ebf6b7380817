import { randomInt } from 'node:crypto';

/** How many recovery codes a set has. */
export const RECOVERY_CODE_COUNT = 10;
/** 31 symbols without look-alikes (no 0/o, 1/l/i): 10 of them ≈ 49.5 bits per code. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 10;

/** One code, shown as `xxxxx-xxxxx`, from the CSPRNG. */
export function newRecoveryCode(): string {
  let out = '';
  for (let i = 0; i < LENGTH; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(newRecoveryCode());
  return [...codes];
}

/**
 * What a person typed → the canonical form that is digested: case, spaces and hyphens do
 * not matter. Null when it cannot be a recovery code (so it is never digested or counted as one).
 */
export function normalizeRecoveryCode(input: string): string | null {
  const c = input.normalize('NFKC').toLowerCase().replace(/[\s-]/g, '');
  if (c.length !== LENGTH) return null;
  for (const ch of c) if (!ALPHABET.includes(ch)) return null;
  return c;
}
