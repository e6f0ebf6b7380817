import { PASSWORD_MAX_LENGTH } from './password.constants';

/**
 * NFKC can shrink text (a Greek letter with three combining marks composes to one code
 * point), but never by more than a few units per code point. Anything longer than this
 * many UTF-16 units cannot be within the limit after normalisation, so it is refused
 * without spending time on normalising it.
 */
const RAW_LENGTH_GUARD = PASSWORD_MAX_LENGTH * 8;

/** Number of Unicode code points, so an emoji counts as one character, not two. */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * The one normal form every password is checked and hashed in: NFKC, so a fullwidth
 * "ｐａｓｓ１" and an ASCII "pass1" are the same password wherever they were typed.
 */
export function normalizePassword(value: string): string {
  return value.normalize('NFKC');
}

/**
 * NFKC form of `value`, or null when it is not a string or is longer than
 * PASSWORD_MAX_LENGTH code points once normalised.
 */
export function normalizeWithinLimit(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > RAW_LENGTH_GUARD) return null;
  const normalized = normalizePassword(value);
  return codePointLength(normalized) <= PASSWORD_MAX_LENGTH ? normalized : null;
}

/** True when the raw input is too long to be analysed at all. */
export function exceedsRawGuard(value: string): boolean {
  return value.length > RAW_LENGTH_GUARD;
}
