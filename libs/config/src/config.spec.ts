import { ConfigError, isValidCidr, loadConfig } from './config';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');

describe('loadConfig', () => {
  it('runs on the embedded default with no configuration at all', () => {
    const c = loadConfig({});
    expect(c.database.mode).toBe('embedded');
    expect(c.database.migrateOnStart).toBe(true);
    expect(c.redis.mode).toBe('memory');
    expect(c.mail.mode).toBe('console');
    expect(c.http.trustedProxies).toEqual([]);
  });

  it('switches to real services from URLs', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://tessera_app:x@db/tessera',
      REDIS_URL: 'redis://cache:6379',
      SMTP_URL: 'smtp://mail:1025',
      PUBLIC_URL: 'https://id.example.com/',
    });
    expect(c.database).toMatchObject({ mode: 'external', migrateOnStart: false });
    expect(c.redis.mode).toBe('redis');
    expect(c.mail.mode).toBe('smtp');
    expect(c.http.publicUrl).toBe('https://id.example.com');
  });

  it('names every malformed variable at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TRUSTED_PROXIES: '10.0.0.0/99,nope', CORS_ORIGINS: '*' });
      throw new Error('expected ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as ConfigError).message;
      for (const name of ['PORT', 'DATABASE_URL', 'TRUSTED_PROXIES', 'CORS_ORIGINS']) expect(msg).toContain(name);
    }
  });

  it('refuses production without a master key, or with a placeholder or weak one', () => {
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://a@b/c', REDIS_URL: 'redis://r', PUBLIC_URL: 'https://id.example.com' };
    expect(() => loadConfig(prod)).toThrow(/TESSERA_MASTER_KEY is required/);
    expect(() => loadConfig({ ...prod, TESSERA_MASTER_KEY: 'changeme' })).toThrow(/placeholder/);
    expect(() => loadConfig({ ...prod, TESSERA_MASTER_KEY: 'c2hvcnQ=' })).toThrow(/at least 32 bytes/);
    expect(() => loadConfig({ ...prod, TESSERA_MASTER_KEY: 'A'.repeat(64) })).toThrow(/TESSERA_MASTER_KEY/);
    expect(loadConfig({ ...prod, TESSERA_MASTER_KEY: KEY }).security.masterKey).toHaveLength(32);
  });

  it('refuses production on the embedded database or in-memory store', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', TESSERA_MASTER_KEY: KEY })).toThrow(/DATABASE_URL is required in production/);
  });

  it('validates CIDRs', () => {
    expect(isValidCidr('10.0.0.0/8')).toBe(true);
    expect(isValidCidr('::1')).toBe(true);
    expect(isValidCidr('2001:db8::/32')).toBe(true);
    expect(isValidCidr('10.0.0.0/33')).toBe(false);
    expect(isValidCidr('example.com')).toBe(false);
  });

  it('WORKERS > 1 needs external PostgreSQL and Redis (the embedded default is one process)', () => {
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS > 1 needs DATABASE_URL and REDIS_URL/);
    expect(() => loadConfig({ WORKERS: '2', DATABASE_URL: 'postgres://a@h/db' })).toThrow(/WORKERS > 1/);
    expect(loadConfig({ WORKERS: '2', DATABASE_URL: 'postgres://a@h/db', REDIS_URL: 'redis://h:6379' }).http.workers).toBe(2);
    expect(() => loadConfig({ WORKERS: '0' })).toThrow(/WORKERS/);
  });
});
