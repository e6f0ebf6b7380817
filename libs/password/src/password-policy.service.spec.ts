import { randomBytes } from 'node:crypto';
import { ProblemError } from '@tessera/http';
import { PASSWORD_MAX_LENGTH } from './password.constants';
import { WeakPasswordError } from './password.errors';
import { mergePolicy, PLATFORM_PASSWORD_POLICY, type PasswordRule } from './password-policy';
import { PasswordPolicyService, type PasswordCheckContext } from './password-policy.service';

/** Strong (zxcvbn 4), not common, nothing personal: the baseline every case varies. */
const STRONG = 'kx9-Velvet-Harbor';

describe('PasswordPolicyService', () => {
  const policy = new PasswordPolicyService();
  const rules = (password: string, ctx?: PasswordCheckContext): PasswordRule[] =>
    policy.check(password, ctx).map((v) => v.rule);

  it('accepts a long, strong, impersonal password', () => {
    expect(policy.check(STRONG)).toEqual([]);
    expect(() => policy.assertAcceptable(STRONG)).not.toThrow();
  });

  describe('length', () => {
    it('rejects fewer than 12 characters, and says how many are needed', () => {
      // Scores 3 on its own, so only the length rule fires.
      expect(policy.check('Zq8#Lm2!vR')).toEqual([
        { rule: 'min_length', message: 'Use at least 12 characters.' },
      ]);
    });

    it('counts code points, not UTF-16 units: 11 emoji are 11 characters', () => {
      const emoji = '🦊🌲🚀🎸🍕🐙🌋🎲🧭🪐🦉🍄';
      expect(emoji.length).toBe(24);
      expect(rules(emoji)).toEqual([]);
      expect(rules([...emoji].slice(0, 11).join(''))).toEqual(['min_length']);
    });

    it('accepts exactly 256 code points and rejects 257', () => {
      const long = randomBytes(256).toString('base64').slice(0, PASSWORD_MAX_LENGTH);
      expect(rules(long)).toEqual([]);
      expect(policy.check(`${long}x`)).toEqual([
        { rule: 'max_length', message: 'Use at most 256 characters.' },
      ]);
    });

    it('measures the maximum in code points too: 256 emoji (512 UTF-16 units) are not too long', () => {
      const emoji = '🦊🌲🚀🎸🍕🐙🌋🎲🧭🪐🦉🍄🐢🌵🎻🥨'.repeat(16);
      expect(rules(emoji)).not.toContain('max_length');
      expect(rules(`${emoji}🐢`)).toContain('max_length');
    });

    it('refuses an absurdly long input as too long without analysing it', () => {
      const started = Date.now();
      expect(rules('a'.repeat(1_000_000))).toEqual(['max_length']);
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });

  describe('common passwords', () => {
    it('rejects a password from the shipped common-password list', () => {
      expect(rules('password1234')).toEqual(['common_password', 'too_weak']);
    });

    it('compares case-insensitively', () => {
      expect(rules('PassWord1234')).toContain('common_password');
      expect(rules('QWERTYUIOP12')).toContain('common_password');
    });
  });

  describe('strength', () => {
    it('rejects a long but guessable password (zxcvbn score below 3)', () => {
      const [violation, ...rest] = policy.check('aaaaaaaaaaaa');
      expect(rest).toEqual([]);
      expect(violation!.rule).toBe('too_weak');
      expect(violation!.message).toMatch(/^This password is too easy to guess\./);
    });

    it('rejects a dictionary word plus a year', () => {
      expect(rules('Sunshine2024')).toEqual(['too_weak']);
    });
  });

  describe('personal information', () => {
    const email = 'Jane.Doe@Example.com';

    it('rejects the whole email address, ignoring case', () => {
      expect(policy.check('jane.doe@example.com-Velvet9', { email })).toEqual([
        {
          rule: 'contains_personal_info',
          message: 'Do not include your email address in the password.',
        },
      ]);
    });

    it('rejects the local part of the email', () => {
      expect(rules('Velvet-JANE.DOE-Harbor9', { email })).toEqual(['contains_personal_info']);
    });

    it('ignores a local part shorter than 4 characters', () => {
      expect(rules('al-Velvet-Harbor-9', { email: 'al@x.io' })).toEqual([]);
    });

    it('rejects any name token of 4 or more characters', () => {
      const ctx = { name: 'Marguerite Okonkwo' };
      expect(rules('Okonkwo-velvet-harbor-9', ctx)).toEqual(['contains_personal_info']);
      expect(rules('Velvet-MARGUERITE-9x', ctx)).toEqual(['contains_personal_info']);
      expect(rules('jo-li-Velvet-Harbor', { name: 'Jo Li' })).toEqual([]);
    });

    it('rejects the tenant name, with or without its spaces', () => {
      const ctx = { tenantName: 'Acme Corp' };
      expect(rules('Velvet-ACME CORP-Harbor', ctx)).toEqual(['contains_personal_info']);
      expect(rules('acmecorp-Velvet-Harbor-9', ctx)).toEqual(['contains_personal_info']);
      expect(rules('ibm-Velvet-Harbor-9', { tenantName: 'IBM' })).toEqual([]);
    });

    it('names every kind of personal data found', () => {
      const [violation] = policy.check('okonkwo-acmecorp-jdoe-77', {
        email: 'jdoe@example.com',
        name: 'Ade Okonkwo',
        tenantName: 'AcmeCorp',
      });
      expect(violation).toEqual({
        rule: 'contains_personal_info',
        message: 'Do not include your email address, name or organisation name in the password.',
      });
    });

    it('normalises the user data with NFKC too', () => {
      expect(rules('Okonkwo-velvet-harbor-9', { name: 'Ｏｋｏｎｋｗｏ' })).toEqual([
        'contains_personal_info',
      ]);
    });
  });

  describe('Unicode', () => {
    it('treats a fullwidth password exactly like its ASCII form (NFKC)', () => {
      expect(policy.check('ｐａｓｓｗｏｒｄ１２３４')).toEqual(policy.check('password1234'));
      expect(policy.check('ｋｘ９－Ｖｅｌｖｅｔ－Ｈａｒｂｏｒ')).toEqual([]);
    });

    it('accepts any script', () => {
      expect(rules('Ελευθερία-和平-Свобода-9')).toEqual([]);
    });
  });

  it('reports every broken rule at once, not just the first', () => {
    expect(rules('Acme2024', { tenantName: 'Acme' })).toEqual([
      'min_length',
      'contains_personal_info',
      'too_weak',
    ]);
    expect(rules('password')).toEqual(['min_length', 'common_password', 'too_weak']);
  });

  describe('tenant policy', () => {
    it('applies a stricter minimum length', () => {
      expect(rules('Quartz-Nimbus-4')).toEqual([]);
      expect(policy.check('Quartz-Nimbus-4', { policy: { minLength: 16 } })).toEqual([
        { rule: 'min_length', message: 'Use at least 16 characters.' },
      ]);
    });

    it('applies a stricter minimum score', () => {
      // zxcvbn scores this 3: enough for the platform, not for a tenant asking for 4.
      expect(rules('Thunder-Bolt9')).toEqual([]);
      expect(rules('Thunder-Bolt9', { policy: { minScore: 4 } })).toEqual(['too_weak']);
    });

    it('ignores settings weaker than the platform', () => {
      expect(policy.check('Zq8#Lm2!vR', { policy: { minLength: 8 } })).toEqual([
        { rule: 'min_length', message: 'Use at least 12 characters.' },
      ]);
      const weakScore = { minScore: 1 } as unknown as PasswordCheckContext['policy'];
      expect(rules('Sunshine2024', { policy: weakScore })).toEqual(['too_weak']);
    });
  });

  describe('assertAcceptable', () => {
    it('throws a 400 weak-password problem listing every violation', () => {
      const password = 'Sunshine24';
      let caught: unknown;
      try {
        policy.assertAcceptable(password);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WeakPasswordError);
      expect(caught).toBeInstanceOf(ProblemError);
      const problem = caught as WeakPasswordError;
      expect(problem.status).toBe(400);
      expect(problem.code).toBe('weak-password');
      expect(problem.title).toBe('Password does not meet the policy');
      expect(problem.extensions.violations).toEqual(policy.check(password));
      expect((problem.extensions.violations as unknown[]).length).toBeGreaterThanOrEqual(2);
    });

    it('never puts the password in the error', () => {
      const password = 'jane.doe-Sunshine';
      try {
        policy.assertAcceptable(password, { email: 'jane.doe@example.com' });
        throw new Error('expected a rejection');
      } catch (error) {
        const problem = error as WeakPasswordError;
        const everything = [
          problem.message,
          problem.detail,
          problem.stack,
          JSON.stringify(problem),
          JSON.stringify(problem.extensions),
        ]
          .join('\n')
          .toLowerCase();
        expect(everything).not.toContain(password.toLowerCase());
        expect(everything).not.toContain('sunshine');
      }
    });
  });
});

describe('mergePolicy', () => {
  it('returns the platform policy when the tenant sets nothing', () => {
    expect(mergePolicy(PLATFORM_PASSWORD_POLICY, undefined)).toEqual({
      minLength: 12,
      maxLength: 256,
      minScore: 3,
    });
    expect(mergePolicy(PLATFORM_PASSWORD_POLICY, {})).toEqual(PLATFORM_PASSWORD_POLICY);
  });

  it('raises but never lowers', () => {
    expect(mergePolicy(PLATFORM_PASSWORD_POLICY, { minLength: 20, minScore: 4 })).toMatchObject({
      minLength: 20,
      minScore: 4,
    });
    expect(mergePolicy(PLATFORM_PASSWORD_POLICY, { minLength: 4, minScore: 3 })).toMatchObject({
      minLength: 12,
      minScore: 3,
    });
  });

  it('ignores malformed tenant values and keeps the policy satisfiable', () => {
    const junk = { minLength: Number.NaN, minScore: 9 } as unknown as Parameters<
      typeof mergePolicy
    >[1];
    expect(mergePolicy(PLATFORM_PASSWORD_POLICY, junk)).toEqual(PLATFORM_PASSWORD_POLICY);
    expect(mergePolicy(PLATFORM_PASSWORD_POLICY, { minLength: 1000 }).minLength).toBe(256);
    expect(mergePolicy(PLATFORM_PASSWORD_POLICY, { minLength: 14.2 }).minLength).toBe(15);
  });
});
