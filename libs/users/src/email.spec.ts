import { emailDomain, normalizeEmail } from './email';

describe('normalizeEmail', () => {
  it('folds case and Unicode compatibility forms', () => {
    expect(normalizeEmail('  Ａlice@Example.COM ')).toBe('alice@example.com');
    expect(normalizeEmail('ﬁnn@example.com')).toBe('finn@example.com');
    expect(emailDomain('Bob@Sub.Example.com')).toBe('sub.example.com');
  });
});
