import { decodeMasterKey } from '@tessera/config';
import { deriveKey } from '@tessera/crypto';
import { SigningKeyService } from '@tessera/signing-keys';
import { createLocalJWKSet, JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { execFile } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { promisify } from 'node:util';
import { KeysListCommand, KeysRotateCommand } from '../apps/cli/src/commands/keys.command';
import { sql, startApp, TEST_MASTER_KEY, TestApp } from './support/app';

/**
 * Signing keys over HTTP, on the database every test file shares. signing_keys is
 * platform-wide: other files sign tokens with the active key while this one runs, so this
 * file only adds keys and rotates immediately, compares before/after, and never deletes or
 * edits rows. Retired keys stay published, so tokens signed elsewhere keep verifying.
 * Lifecycle details (first start, scheduled promotion, tampering, kid floods) are in
 * libs/signing-keys/src/signing-keys.int-spec.ts against a private database.
 */
describe('signing keys: JWKS, discovery and rotation over HTTP', () => {
  let t: TestApp;
  let keys: SigningKeyService;

  beforeAll(async () => {
    t = await startApp();
    keys = t.app.get(SigningKeyService);
  });
  afterAll(() => t.close());

  /** The private scalar `d` of every stored key, decrypted the documented way: base64url(iv | tag | ciphertext), AAD = kid. */
  async function privateScalars(): Promise<string[]> {
    const key = deriveKey(decodeMasterKey(TEST_MASTER_KEY)!, 'signing-keys');
    const rows = await sql<{ kid: string; private_key_enc: string }>(
      'select kid, private_key_enc from signing_keys',
    );
    return rows.map((r) => {
      const raw = Buffer.from(r.private_key_enc, 'base64url');
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      d.setAAD(Buffer.from(r.kid));
      d.setAuthTag(raw.subarray(12, 28));
      const jwk = JSON.parse(
        Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8'),
      ) as { d: string };
      return jwk.d;
    });
  }

  const sign = (k: { kid: string; key: CryptoKey }, sub: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: k.kid })
      .setIssuer('http://tessera.test')
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(k.key);

  async function captureLog(fn: () => Promise<void>): Promise<string> {
    const out: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      out.push(args.join(' '));
    });
    try {
      await fn();
    } finally {
      log.mockRestore();
    }
    return out.join('\n');
  }

  const fetchJwks = async (app: TestApp = t) => {
    const res = await app.http.get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    return { res, body: res.body as JSONWebKeySet & { keys: Record<string, string>[] } };
  };

  it('GET /.well-known/jwks.json is public, cacheable for less than the propagation delay, and lists the signing key', async () => {
    const { res, body } = await fetchJwks();
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const { kid } = await keys.signingKey();
    expect(body.keys.map((k) => k.kid)).toContain(kid);
    for (const k of body.keys) {
      expect(Object.keys(k).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it('GET /.well-known/openid-configuration states the issuer and where its keys are, nothing that does not exist', async () => {
    const res = await t.http.get('/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body).toEqual({
      issuer: 'http://tessera.test',
      jwks_uri: 'http://tessera.test/.well-known/jwks.json',
    });
    // The advertised jwks_uri is the route that serves the keys.
    const path = new URL(res.body.jwks_uri).pathname;
    expect((await t.http.get(path)).status).toBe(200);
  });

  it('no response carries a private key', async () => {
    await keys.signingKey();
    const scalars = await privateScalars();
    expect(scalars.length).toBeGreaterThan(0);
    const bodies = [
      (await t.http.get('/.well-known/jwks.json')).text,
      (await t.http.get('/.well-known/openid-configuration')).text,
      (await t.http.get('/docs/json')).text,
    ];
    for (const text of bodies) {
      expect(text).not.toMatch(/"d"\s*:/);
      for (const d of scalars) expect(text).not.toContain(d);
    }
  });

  it('keys list shows each key with status and dates, never private material', async () => {
    const out = await captureLog(() => new KeysListCommand(keys).run());
    expect(out).toMatch(
      /^KID\s+STATUS\s+PUBLISHED\s+CREATED\s+ACTIVATED\s+RETIRED\s+PUBLISH_UNTIL/,
    );
    const { kid } = await keys.signingKey();
    expect(out).toMatch(new RegExp(`${kid}\\s+active\\s+yes\\s+\\d{4}-`));
    for (const d of await privateScalars()) expect(out).not.toContain(d);
  });

  it('rotation (keys rotate, then keys rotate --now): the new key is served before it signs; tokens signed before still verify after, on every instance', async () => {
    const before = await keys.signingKey();
    const oldToken = await sign(before, 'before-rotation');

    // Staged: published, not signing.
    const staged = await captureLog(() => new KeysRotateCommand(keys).run([], {}));
    const kid =
      /published (\S+) as the next signing key/.exec(staged)?.[1] ??
      /(\S+) is the next key/.exec(staged)?.[1];
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    let served = (await fetchJwks()).body;
    expect(served.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([before.kid, kid]));
    expect((await keys.signingKey()).kid).not.toBe(kid);

    // Another instance started while the key is staged knows it before it ever signs
    // (in production: the propagation delay outlasts every cache).
    const other = await startApp();
    try {
      expect((await fetchJwks(other)).body.keys.map((k) => k.kid)).toContain(kid);

      // Promoted at once: the staged key is reused, never a second 'next'.
      const promoted = await captureLog(() => new KeysRotateCommand(keys).run([], { now: true }));
      const after = await keys.signingKey();
      expect(after.kid).toBe(kid);
      expect(promoted).toContain(`signing key ${kid} is active now`);

      // What a relying party does: fetch the JWKS, verify by kid, our algorithm only.
      served = (await fetchJwks()).body;
      expect(served.keys.map((k) => k.kid)).toEqual(
        expect.arrayContaining([before.kid, after.kid]),
      );
      const rp = createLocalJWKSet(served);
      const old = await jwtVerify(oldToken, rp, {
        algorithms: ['ES256'],
        issuer: 'http://tessera.test',
      });
      expect(old.payload.sub).toBe('before-rotation');
      const newToken = await sign(after, 'after-rotation');
      const fresh = await jwtVerify(newToken, rp, {
        algorithms: ['ES256'],
        issuer: 'http://tessera.test',
      });
      expect(fresh.protectedHeader.kid).toBe(after.kid);

      // The other instance verifies both from its cache, with no reload.
      const otherKeys = other.app.get(SigningKeyService);
      for (const [token, k] of [
        [oldToken, before.kid],
        [newToken, after.kid],
      ] as const) {
        const key = await otherKeys.verificationKey(k);
        expect(key).toBeDefined();
        await expect(jwtVerify(token, key!, { algorithms: ['ES256'] })).resolves.toBeDefined();
      }
    } finally {
      await other.close();
    }

    // The retired key's row is kept with its publication window.
    const [row] = await sql<{ status: string; window: number }>(
      `select status, extract(epoch from publish_until - retired_at)::int as window from signing_keys where kid = $1`,
      [before.kid],
    );
    expect(row.status).toBe('retired');
    expect(row.window).toBe(17 * 60);

    // Audited on the platform chain as the operator, tier 4.
    const audit = await sql<{
      action: string;
      tenant_id: string | null;
      actor_type: string;
      risk_tier: number;
    }>(
      `select action, tenant_id, actor_type, risk_tier from audit_events
        where target_type = 'signing_key' and target_id = $1 order by occurred_at, seq`,
      [kid],
    );
    expect(audit).toEqual([
      { action: 'keys.rotate', tenant_id: null, actor_type: 'operator', risk_tier: 4 },
      { action: 'keys.promote', tenant_id: null, actor_type: 'operator', risk_tier: 4 },
    ]);
  });

  it('the real CLI process: `keys list` prints the active key', async () => {
    const { kid } = await keys.signingKey();
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: process.env.TEST_APP_DATABASE_URL,
      DATABASE_OWNER_URL: process.env.TEST_OWNER_DATABASE_URL,
      MIGRATE_ON_START: 'false',
      TESSERA_MASTER_KEY: TEST_MASTER_KEY,
      PUBLIC_URL: 'http://tessera.test',
    };
    const { stdout } = await promisify(execFile)(
      'node',
      ['-r', '@swc-node/register', 'apps/cli/src/main.ts', 'keys', 'list'],
      { env },
    );
    // Another file may rotate meanwhile: the key is listed either way, as active or retired.
    expect(stdout).toMatch(new RegExp(`${kid}\\s+(active|retired)\\s+yes`));
    expect(stdout).toMatch(/\d+ keys?\n?$/);
  }, 60_000);
});
