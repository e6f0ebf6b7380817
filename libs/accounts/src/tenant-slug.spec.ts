import { signupSlug, slugBase } from './tenant-slug';

/** The database constraint tenants_slug_format. */
const SLUG_FORMAT = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

describe('tenant slugs for sign-up', () => {
  it('derives a readable base from the name', () => {
    expect(slugBase('Acme Corp')).toBe('acme-corp');
    expect(slugBase('  Café  Ünïcode & Co. ')).toBe('cafe-unicode-co');
    expect(slugBase('Ｆｕｌｌｗｉｄｔｈ')).toBe('fullwidth');
  });

  it('falls back when nothing Latin is left', () => {
    expect(slugBase('東京')).toBe('tenant');
    expect(slugBase('---')).toBe('tenant');
  });

  it('always satisfies the database slug format, even for long or odd names', () => {
    for (const name of ['a'.repeat(200), `${'ab-'.repeat(30)}x`, '東京', '-x-', 'Z']) {
      const slug = signupSlug(name);
      expect(slug).toMatch(SLUG_FORMAT);
      expect(slug.length).toBeLessThanOrEqual(47);
    }
  });

  it('adds a random suffix', () => {
    expect(signupSlug('Acme')).toMatch(/^acme-[0-9a-f]{6}$/);
    expect(signupSlug('Acme')).not.toBe(signupSlug('Acme'));
  });
});
