import * as bcrypt from 'bcryptjs';
import type * as Argon2 from 'argon2';
import { ARGON2_PARAMS, PASSWORD_MAX_LENGTH } from './password.constants';
import { PasswordTooLongError } from './password.errors';
import { PasswordHasher, resolveArgon2Params, toCanonicalArgon2 } from './password-hasher.service';

// The very module object the hasher calls, so spies on it see the hasher's calls.
const argon2 = jest.requireActual<typeof Argon2>('argon2');

const PASSWORD = 'kx9-Velvet-Harbor';
const OWASP_PREFIX = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();
  let stored: string;

  beforeAll(async () => {
    await hasher.onModuleInit();
    stored = await hasher.hash(PASSWORD);
  });

  afterEach(() => jest.restoreAllMocks());

  it('uses at least the OWASP argon2id parameters', () => {
    expect(ARGON2_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(hasher.params).toEqual(ARGON2_PARAMS);
  });

  it('produces an argon2id PHC string with m=19456, t=2, p=1 and a random salt', async () => {
    expect(stored).toMatch(OWASP_PREFIX);
    expect(await hasher.hash(PASSWORD)).not.toBe(stored);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: false });
    expect(await hasher.verify(stored, 'kx9-Velvet-Harbour')).toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  it('hashes the NFKC form: the fullwidth spelling verifies against the ASCII one', async () => {
    const fullwidth = 'ｋｘ９－Ｖｅｌｖｅｔ－Ｈａｒｂｏｒ';
    expect(await hasher.verify(stored, fullwidth)).toEqual({ ok: true, needsRehash: false });
  });

  it('asks for a rehash of an argon2id hash made with weaker parameters', async () => {
    const weak = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      timeCost: 1,
      memoryCost: 4096,
      parallelism: 1,
    });
    expect(await hasher.verify(weak, PASSWORD)).toEqual({ ok: true, needsRehash: true });
    // A wrong password learns nothing and triggers nothing.
    expect(await hasher.verify(weak, 'wrong-password-1')).toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  describe('legacy bcrypt', () => {
    let legacy: string;
    beforeAll(async () => {
      legacy = await bcrypt.hash(PASSWORD, 4);
    });

    it('verifies $2b$ and asks for an upgrade to argon2id', async () => {
      expect(legacy.startsWith('$2b$04$')).toBe(true);
      expect(await hasher.verify(legacy, PASSWORD)).toEqual({ ok: true, needsRehash: true });
      expect(await hasher.verify(legacy, 'kx9-Velvet-Harbour')).toEqual({
        ok: false,
        needsRehash: false,
      });
    });

    it('accepts the $2a$ and $2y$ spellings of the same algorithm', async () => {
      for (const prefix of ['$2a$', '$2y$']) {
        const variant = prefix + legacy.slice(4);
        expect(await hasher.verify(variant, PASSWORD)).toEqual({ ok: true, needsRehash: true });
      }
    });

    it('still verifies a legacy hash of a password that was not normalised', async () => {
      const raw = 'ｋｘ９－Ｖｅｌｖｅｔ－Ｈａｒｂｏｒ';
      const unnormalised = await bcrypt.hash(raw, 4);
      expect(await hasher.verify(unnormalised, raw)).toEqual({ ok: true, needsRehash: true });
    });
  });

  it('never throws on an unknown or malformed stored hash', async () => {
    const argon2i = await argon2.hash(PASSWORD, {
      type: argon2.argon2i,
      timeCost: 1,
      memoryCost: 4096,
      parallelism: 1,
    });
    const malformed = [
      '',
      'not-a-hash',
      PASSWORD,
      '$argon2id$',
      '$argon2id$v=19$m=19456,t=2,p=1$bad$bad',
      stored.slice(0, -10),
      '$2b$10$tooShort',
      '$2x$04$' + 'a'.repeat(53),
      argon2i,
      null as unknown as string,
    ];
    for (const hash of malformed) {
      await expect(hasher.verify(hash, PASSWORD)).resolves.toEqual({
        ok: false,
        needsRehash: false,
      });
    }
  });

  describe('verifyDummy', () => {
    it('is always false', async () => {
      await expect(hasher.verifyDummy(PASSWORD)).resolves.toBe(false);
      await expect(hasher.verifyDummy('')).resolves.toBe(false);
    });

    it('does a real argon2id verify at the current parameters, against a hash computed once', async () => {
      const hash = jest.spyOn(argon2, 'hash');
      const verify = jest.spyOn(argon2, 'verify');
      await hasher.verifyDummy(PASSWORD);
      await hasher.verifyDummy('something-else');
      expect(hash).not.toHaveBeenCalled();
      expect(verify).toHaveBeenCalledTimes(2);
      expect(verify.mock.calls[0]![0]).toMatch(OWASP_PREFIX);
      expect(verify.mock.calls[0]![0]).toBe(verify.mock.calls[1]![0]);
    });
  });

  describe('oversized input', () => {
    const tooLong = 'a'.repeat(PASSWORD_MAX_LENGTH + 1);

    it('is refused before argon2 is ever called', async () => {
      const hash = jest.spyOn(argon2, 'hash');
      const verify = jest.spyOn(argon2, 'verify');
      const compare = jest.spyOn(bcrypt, 'compare');

      await expect(hasher.hash(tooLong)).rejects.toBeInstanceOf(PasswordTooLongError);
      await expect(hasher.hash('😀'.repeat(PASSWORD_MAX_LENGTH + 1))).rejects.toMatchObject({
        status: 400,
        code: 'password-too-long',
      });
      await expect(hasher.verify(stored, tooLong)).resolves.toEqual({
        ok: false,
        needsRehash: false,
      });
      await expect(hasher.verifyDummy(tooLong)).resolves.toBe(false);
      await expect(hasher.verify(stored, 'a'.repeat(10_000_000))).resolves.toEqual({
        ok: false,
        needsRehash: false,
      });

      expect(hash).not.toHaveBeenCalled();
      expect(verify).not.toHaveBeenCalled();
      expect(compare).not.toHaveBeenCalled();
    });

    it('accepts exactly the maximum, counted in code points', async () => {
      const longest = '😀'.repeat(PASSWORD_MAX_LENGTH);
      const hash = await hasher.hash(longest);
      expect(await hasher.verify(hash, longest)).toEqual({ ok: true, needsRehash: false });
    });
  });

  describe('stronger parameters', () => {
    it('may be raised, never lowered below OWASP', () => {
      expect(resolveArgon2Params({ memoryCost: 65536, timeCost: 3 })).toEqual({
        memoryCost: 65536,
        timeCost: 3,
        parallelism: 1,
      });
      expect(resolveArgon2Params({ memoryCost: 1024, timeCost: 1, parallelism: 0 })).toEqual(
        ARGON2_PARAMS,
      );
      expect(new PasswordHasher({ argon2: { timeCost: -5 } }).params).toEqual(ARGON2_PARAMS);
    });

    it('asks for a rehash of a hash made with the older, weaker parameters', async () => {
      const stronger = new PasswordHasher({ argon2: { timeCost: 3 } });
      expect(await stronger.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: true });
    });
  });
});

describe('toCanonicalArgon2', () => {
  it('puts the parameters in the PHC order m,t,p', () => {
    expect(toCanonicalArgon2('$argon2id$v=19$m=19456,p=1,t=2$c2FsdA$aGFzaA')).toBe(
      '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    );
  });

  it('leaves anything it does not recognise untouched', () => {
    for (const other of [
      '$argon2id$v=19$m=1,t=2,p=1,data=eA$c2FsdA$aGFzaA',
      'garbage',
      '$2b$04$x',
    ]) {
      expect(toCanonicalArgon2(other)).toBe(other);
    }
  });

  it('produces hashes node-argon2 still verifies and checks for rehash', async () => {
    const encoded = toCanonicalArgon2(
      await argon2.hash(PASSWORD, { type: argon2.argon2id, ...ARGON2_PARAMS }),
    );
    expect(encoded).toMatch(OWASP_PREFIX);
    expect(await argon2.verify(encoded, PASSWORD)).toBe(true);
    expect(argon2.needsRehash(encoded, ARGON2_PARAMS)).toBe(false);
  });
});
