import { randomBytes } from 'node:crypto';
import { ConcurrencyGate, defaultArgon2Concurrency } from './argon2-gate';
import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
// Named imports compile to property reads on the module at call time, which lets the spec
// prove with a spy that oversized input never reaches argon2.
import { argon2id, hash as argon2Hash, needsRehash, verify as argon2Verify } from 'argon2';
import { compare as bcryptCompare } from 'bcryptjs';
import { ARGON2_PARAMS, type Argon2Params } from './password.constants';
import { PasswordTooLongError } from './password.errors';
import { normalizeWithinLimit } from './password-text.util';

/** Optional provider to raise the argon2 parameters (see PasswordModule.register). */
export const PASSWORD_HASHER_OPTIONS = Symbol('PASSWORD_HASHER_OPTIONS');

export interface PasswordHasherOptions {
  /** Stronger argon2id parameters; any value below the OWASP minimum is raised to it. */
  argon2?: Partial<Argon2Params>;
}

export interface PasswordVerification {
  ok: boolean;
  /** The password was right but the stored hash is not current argon2id: store a new hash. */
  needsRehash: boolean;
}

const REJECTED: Readonly<PasswordVerification> = Object.freeze({ ok: false, needsRehash: false });

/** Only the modern argon2id encoding is ours; argon2i/argon2d are not accepted. */
const ARGON2ID_PREFIX = '$argon2id$';
/** Legacy bcrypt: $2a$, $2b$, $2y$, a two-digit cost, then 22 salt + 31 hash characters. */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * node-argon2 writes the parameters as `m=…,p=…,t=…`, but the PHC string format and the
 * reference implementation require `m,t,p` (ranisalt/node-argon2#559), and strict parsers
 * (libsodium, several Go and Java libraries) reject any other order. Reordering keeps our
 * stored hashes portable; node-argon2 itself reads either order.
 */
export function toCanonicalArgon2(encoded: string): string {
  const parts = encoded.split('$');
  const params = new Map(
    (parts[3] ?? '').split(',').map((pair) => pair.split('=') as [string, string | undefined]),
  );
  const [m, t, p] = [params.get('m'), params.get('t'), params.get('p')];
  if (parts.length !== 6 || params.size !== 3 || !m || !t || !p) return encoded;
  parts[3] = `m=${m},t=${t},p=${p}`;
  return parts.join('$');
}

/** Each parameter is raised to the OWASP floor; non-integers are rounded up. */
export function resolveArgon2Params(override?: Partial<Argon2Params>): Argon2Params {
  const pick = (key: keyof Argon2Params): number => {
    const value = override?.[key];
    const floor = ARGON2_PARAMS[key];
    return typeof value === 'number' && Number.isFinite(value)
      ? Math.max(floor, Math.ceil(value))
      : floor;
  };
  return {
    memoryCost: pick('memoryCost'),
    timeCost: pick('timeCost'),
    parallelism: pick('parallelism'),
  };
}

/**
 * argon2id password hashing (OWASP parameters or stronger) with a verify path for legacy
 * bcrypt hashes. Every argon2 call is the async one, which runs on libuv's threadpool, so
 * the event loop is never blocked by a hash.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  readonly params: Readonly<Argon2Params>;
  private dummyHash?: Promise<string>;
  private readonly gate = new ConcurrencyGate(defaultArgon2Concurrency());

  /**
   * What our own hashes at the current parameters start with: such a hash needs no rehash,
   * known without argon2.needsRehash parsing the PHC string a second time (verify parses it).
   */
  private readonly currentPrefix: string;

  constructor(@Optional() @Inject(PASSWORD_HASHER_OPTIONS) options?: PasswordHasherOptions) {
    this.params = Object.freeze(resolveArgon2Params(options?.argon2));
    this.currentPrefix = `${ARGON2ID_PREFIX}v=19$m=${this.params.memoryCost},t=${this.params.timeCost},p=${this.params.parallelism}$`;
  }

  async onModuleInit(): Promise<void> {
    await this.getDummyHash();
  }

  /** argon2id hash (PHC string) of the NFKC form; refuses oversized input before hashing. */
  async hash(password: string): Promise<string> {
    const normalized = normalizeWithinLimit(password);
    if (normalized === null) throw new PasswordTooLongError();
    return this.argon2idHash(normalized);
  }

  /**
   * Checks a password against a stored argon2id or legacy bcrypt hash. Never throws: an
   * unknown or malformed stored hash, or an oversized password, is simply not a match.
   */
  async verify(storedHash: string, password: string): Promise<PasswordVerification> {
    const normalized = normalizeWithinLimit(password);
    if (normalized === null || typeof storedHash !== 'string') return REJECTED;

    if (storedHash.startsWith(ARGON2ID_PREFIX)) {
      try {
        const ok = await this.gate.run(() => argon2Verify(storedHash, normalized));
        // needsRehash flags any difference from the current parameters, so hashes converge
        // on the configured policy as users log in.
        return { ok, needsRehash: ok && !storedHash.startsWith(this.currentPrefix) && needsRehash(storedHash, this.params) };
      } catch {
        return REJECTED;
      }
    }

    if (BCRYPT_HASH.test(storedHash)) {
      // The legacy system may not have normalised, so the raw input is tried second.
      for (const candidate of new Set([normalized, password])) {
        try {
          if (await bcryptCompare(candidate, storedHash)) return { ok: true, needsRehash: true };
        } catch {
          return REJECTED;
        }
      }
      return REJECTED;
    }
    return REJECTED;
  }

  /**
   * Costs what a real verify costs and is always false: call it when the account does not
   * exist, so response time does not reveal which emails are registered.
   */
  async verifyDummy(password: string): Promise<false> {
    const normalized = normalizeWithinLimit(password);
    if (normalized === null) return false;
    try {
      const dummy = await this.getDummyHash();
      await this.gate.run(() => argon2Verify(dummy, normalized));
    } catch {
      // Nothing to report: the answer is false whatever happened.
    }
    return false;
  }

  private async argon2idHash(normalized: string): Promise<string> {
    return toCanonicalArgon2(await this.gate.run(() => argon2Hash(normalized, { type: argon2id, ...this.params })));
  }

  /** A hash of a random value nobody knows, with the current parameters; computed once. */
  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.argon2idHash(randomBytes(32).toString('base64url')).catch(
      (error: unknown) => {
        this.dummyHash = undefined;
        throw error;
      },
    );
    return this.dummyHash;
  }
}
