import { redact, redactUrl } from './redact';

describe('redact', () => {
  it('replaces sensitive values by key name, at any depth', () => {
    expect(
      redact({ email: 'a@b.c', password: 'p', nested: { refresh_token: 't', clientSecret: 's', code: '1', mfaCode: '2', list: [{ apiKey: 'k' }] } }),
    ).toEqual({
      email: 'a@b.c',
      password: '[REDACTED]',
      nested: { refresh_token: '[REDACTED]', clientSecret: '[REDACTED]', code: '[REDACTED]', mfaCode: '[REDACTED]', list: [{ apiKey: '[REDACTED]' }] },
    });
  });
  it('bounds depth and length', () => {
    expect(redact({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '[TRUNCATED]' } } } });
    expect((redact('x'.repeat(2000)) as string).length).toBeLessThan(600);
  });
  it('redacts sensitive query parameters in URLs', () => {
    expect(redactUrl('/cb?code=abc&state=xyz&ok=1')).toBe('/cb?code=%5BREDACTED%5D&state=%5BREDACTED%5D&ok=1');
    expect(redactUrl('/plain')).toBe('/plain');
  });
});
