import { isValidSlug, RESERVED_SLUGS, SLUG_PATTERN, slugify, slugWithSuffix } from './tenant-slug';

describe('tenant slugs', () => {
  it.each([
    ['Acme Retail', 'acme-retail'],
    ['  Café Müller & Söhne GmbH ', 'cafe-muller-sohne-gmbh'],
    ['Straße 42', 'strasse-42'],
    ['ＡＣＭＥ', 'acme'],
    ['---a---b---', 'a-b'],
    ['株式会社', 'tenant'],
    ['🙂', 'tenant'],
    ['', 'tenant'],
  ])('slugify(%j) = %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
    expect(isValidSlug(slugify(name))).toBe(true);
  });

  it('cuts long names to 63 characters without a trailing dash', () => {
    const slug = slugify(`${'a'.repeat(62)} b`);
    expect(slug).toBe('a'.repeat(62));
    expect(slugify('x'.repeat(100))).toHaveLength(63);
    expect(isValidSlug(slugify(`${'ab-'.repeat(30)}`))).toBe(true);
  });

  it('suffixes a slug and stays valid, even at the maximum length', () => {
    for (const base of ['acme', 'a'.repeat(63), `${'a'.repeat(55)}-bbbbbbb`]) {
      const s = slugWithSuffix(base);
      expect(s).toMatch(/-[a-z0-9]{6}$/);
      expect(isValidSlug(s)).toBe(true);
      expect(s.length).toBeLessThanOrEqual(63);
    }
    expect(slugWithSuffix('acme')).not.toBe(slugWithSuffix('acme'));
  });

  it('validates like the database constraint', () => {
    for (const ok of ['a', 'a1', 'a-b', '0', 'x'.repeat(63)]) expect(isValidSlug(ok)).toBe(true);
    for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'a.b', 'x'.repeat(64), 'é', 'a b', 42])
      expect(isValidSlug(bad)).toBe(false);
    // Same pattern as the tenants_slug_format check in the foundation migration.
    expect(SLUG_PATTERN.source).toBe('^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$');
    expect(RESERVED_SLUGS.has('platform')).toBe(true);
  });
});
