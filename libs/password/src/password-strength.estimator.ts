import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { ZxcvbnResult } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';

/**
 * zxcvbn's cost grows steeply with length and with characters that have l33t
 * substitutes: on a 2-core machine a random 256-character password took ~1.6 s of
 * synchronous CPU with the defaults. Estimating the first 64 code units with at most 10
 * substitutions keeps the worst case near 40 ms and gave the same scores on our samples;
 * truncating only ever underestimates strength, so it can't let a weak password through.
 */
const ESTIMATED_PREFIX_LENGTH = 64;
const L33T_MAX_SUBSTITUTIONS = 10;

interface StrengthEngine {
  zxcvbn: ZxcvbnFactory;
  /** Lower-cased entries of the shipped common/breached password list. */
  commonPasswords: ReadonlySet<string>;
}

let engine: StrengthEngine | undefined;

/**
 * Building the ranked dictionaries takes ~100 ms and tens of MB, so it happens once per
 * process, on first use, and is shared by every service instance.
 */
function getEngine(): StrengthEngine {
  engine ??= {
    zxcvbn: new ZxcvbnFactory({
      dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
      graphs: zxcvbnCommon.adjacencyGraphs,
      translations: zxcvbnEn.translations,
      maxLength: ESTIMATED_PREFIX_LENGTH,
      l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
      // Levenshtein matching made a single check take 0.1-1 s; the common-list rule and
      // the l33t/reversal matchers already cover near-misses of common passwords.
      useLevenshteinDistance: false,
    }),
    commonPasswords: new Set(
      zxcvbnCommon.dictionary['passwords-common'].map((p) => String(p).toLowerCase()),
    ),
  };
  return engine;
}

/** True when the password (already NFKC) is on the shipped list, ignoring case. */
export function isCommonPassword(normalized: string): boolean {
  return getEngine().commonPasswords.has(normalized.toLowerCase());
}

/** zxcvbn estimate of an NFKC password, with the user's own data as an extra dictionary. */
export function estimateStrength(normalized: string, userInputs: string[]): ZxcvbnResult {
  return getEngine().zxcvbn.check(normalized, userInputs);
}
