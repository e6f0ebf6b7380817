import { ProblemError } from '@tessera/http';
import { AccessTokenService, SessionService, TokenCache, tokenHash } from '@tessera/sessions';
import type { SigningKeyService } from '@tessera/signing-keys';
import { KeyValueStore, KV_STORE } from '@tessera/store';
import { CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createHash, KeyObject, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { sql, startApp, testConfig, TestApp, uniquePrefix } from './support/app';
import {
  attackerKey,
  bearer,
  b64url,
  fetchJwks,
  FetchTrap,
  forgeEs256,
  forgeHs256,
  forgeNone,
  jwtClaims,
  jwtHeader,
  login,
  loginPassword,
  PublishedKey,
  publicJwkToPem,
  tamperHeader,
  tamperPayload,
  TokenPairBody,
  auditRowsOfRequest,
  uniqueLoginEmail,
} from './support/session-helpers';
import { createTenant, createUser } from './support/test-auth';

/** The one challenge every refused access token gets (RFC 6750 §3.1), with no description. */
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="tessera", error="invalid_token"';
/** The only details a refused token may be told (none names the failed check). */
const ALLOWED_DETAILS = [
  'The access token is not valid.',
  'The access token has been revoked or has expired.',
  'The credential is not valid.',
];
/** Words that would tell an attacker which check failed, or echo internals. */
const LEAKY = /signature|algorithm|\balg\b|\bkid\b|jwk|jku|x5u|audience|issuer|\baud\b|\biss\b|jose|ERR_|JWS|JWT|stack|passwd|select/i;

describe('access-token attacks over HTTP (e2e)', () => {
  let t: TestApp;
  let trap: FetchTrap;
  let user: { id: string; email: string; tenantId: string };
  let password: string;
  let pair: TokenPairBody;
  let ourKey: PublishedKey;

  beforeAll(async () => {
    trap = await FetchTrap.start();
    // Redis when available (the production shape), in-memory otherwise; a prefix of our own.
    t = await startApp({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: uniquePrefix(), RATE_LIMIT_AUTH_PER_MINUTE: '1000' });
    const tenant = await createTenant();
    password = loginPassword();
    user = await createUser({ tenantId: tenant.id, password, email: uniqueLoginEmail('atk') });
    pair = await login(t.http, user.email, password);
    const jwks = await fetchJwks(t.http);
    const kid = jwtHeader(pair.access_token).kid;
    ourKey = jwks.keys.find((k) => k.kid === kid)!;
    expect(ourKey).toBeDefined();
  });
  afterAll(async () => {
    await t.close();
    await trap.stop();
  });

  const me = (headers: Record<string, string>) => t.http.get('/v1/me').set(headers);

  /** The claims of a real token, for forgeries that should look legitimate but for one thing. */
  const realClaims = () => jwtClaims(pair.access_token) as Record<string, unknown>;
  const realHeader = () => jwtHeader(pair.access_token) as Record<string, unknown>;

  async function expectInvalidToken(res: Response, forged?: string): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN_CHALLENGE);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const body = res.body as Record<string, unknown>;
    // Nothing beyond the generic problem members.
    expect(Object.keys(body).sort()).toEqual(['detail', 'requestId', 'status', 'title', 'type']);
    expect(body.status).toBe(401);
    expect(body.type).toMatch(/^urn:tessera:problem:(invalid-token|unauthorized)$/);
    expect(ALLOWED_DETAILS).toContain(body.detail);
    expect(JSON.stringify(body)).not.toMatch(LEAKY);
    if (forged) {
      for (const part of forged.split('.').filter((p) => p.length > 8)) expect(JSON.stringify(body)).not.toContain(part);
    }
    // Every refusal is audited as a denied request, without the token.
    const rows = await auditRowsOfRequest(String(res.headers['x-request-id']));
    expect(rows.map((r) => [r.action, r.decision, r.outcome])).toEqual([['access.denied', 'deny', 'failure']]);
    if (forged) expect(JSON.stringify(rows)).not.toContain(forged.split('.')[1] || forged);
  }

  async function refused(token: string): Promise<void> {
    await expectInvalidToken(await me(bearer(token)), token);
  }

  it('a valid access token is accepted (the setup is sound)', async () => {
    const res = await me(bearer(pair.access_token));
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.id);
  });

  describe('algorithm attacks', () => {
    it('alg none with an empty signature', async () => {
      await refused(forgeNone({ typ: 'at+jwt', kid: ourKey.kid }, realClaims()));
    });

    it('alg none keeping the real signature (so the token is JWT-shaped)', async () => {
      const sig = pair.access_token.split('.')[2];
      await refused(forgeNone({ typ: 'at+jwt', kid: ourKey.kid }, realClaims(), sig));
      // A real token whose header alone is rewritten to none.
      await refused(tamperHeader(pair.access_token, (h) => ({ ...h, alg: 'none' })));
      await refused(tamperHeader(pair.access_token, (h) => ({ ...h, alg: 'NONE' })));
    });

    it('HS256 keyed with our public key (PEM, JWK JSON, raw x‖y)', async () => {
      const header = { typ: 'at+jwt', kid: ourKey.kid };
      const secrets: (string | Buffer)[] = [
        publicJwkToPem(ourKey),
        JSON.stringify(ourKey),
        JSON.stringify({ kty: ourKey.kty, crv: ourKey.crv, x: ourKey.x, y: ourKey.y }),
        Buffer.concat([Buffer.from(ourKey.x, 'base64url'), Buffer.from(ourKey.y, 'base64url')]),
        ourKey.x,
      ];
      for (const secret of secrets) await refused(forgeHs256(header, realClaims(), secret));
    });

    it('ES256 signed by a key that is not ours, under our kid', async () => {
      const { privateKey } = attackerKey();
      await refused(forgeEs256({ typ: 'at+jwt', kid: ourKey.kid }, realClaims(), privateKey));
    });

    it('other asymmetric algorithm names on a real token', async () => {
      for (const alg of ['ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'es256']) {
        await refused(tamperHeader(pair.access_token, (h) => ({ ...h, alg })));
      }
    });
  });

  describe('headers that try to name their own key', () => {
    it('an embedded jwk (the attacker key, signed by it), with our kid, its own kid or none', async () => {
      const { privateKey, publicJwk } = attackerKey();
      const ownKid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url');
      for (const kid of [ourKey.kid, ownKid, undefined]) {
        await refused(forgeEs256({ typ: 'at+jwt', ...(kid ? { kid } : {}), jwk: publicJwk }, realClaims(), privateKey));
      }
    });

    it('jku and x5u pointing at a server of ours: refused, and it is never contacted', async () => {
      const { privateKey } = attackerKey();
      const urls = [`${trap.url}/jwks.json`, `${trap.url}/cert.pem`, 'http://127.0.0.1:1/'];
      for (const url of urls) {
        for (const name of ['jku', 'x5u']) {
          for (const kid of [ourKey.kid, 'attacker-key-1']) {
            await refused(forgeEs256({ typ: 'at+jwt', kid, [name]: url }, realClaims(), privateKey));
          }
          // Our real token with the header added: the key lookup must not follow it either.
          await refused(tamperHeader(pair.access_token, (h) => ({ ...h, [name]: url })));
        }
      }
      // Give any stray fetch a moment to arrive before asserting it never did.
      await new Promise((r) => setTimeout(r, 200));
      expect(trap.requests).toEqual([]);
    });

    it('x5c and crit headers', async () => {
      const { privateKey } = attackerKey();
      await refused(forgeEs256({ typ: 'at+jwt', kid: ourKey.kid, x5c: ['MIIBfake'] }, realClaims(), privateKey));
      await refused(tamperHeader(pair.access_token, (h) => ({ ...h, crit: ['exp'] })));
    });

    it('kid with path traversal, SQL, 10 KB and odd types', async () => {
      const { privateKey } = attackerKey();
      const kids: unknown[] = [
        '../../etc/passwd',
        '../../../../../../dev/null',
        "' or 1=1 --",
        `${ourKey.kid}' or '1'='1`,
        'x'.repeat(10 * 1024),
        'k'.repeat(1000),
        '',
        ['a'],
        { $ne: null },
        42,
        null,
      ];
      for (const kid of kids) {
        await refused(forgeEs256({ typ: 'at+jwt', kid }, realClaims(), privateKey));
        await refused(tamperHeader(pair.access_token, (h) => ({ ...h, kid })));
      }
      // The instance still serves the real token afterwards (no poisoned key cache).
      expect((await me(bearer(pair.access_token))).status).toBe(200);
    });
  });

  describe('tampered claims on a real token (the signature no longer matches)', () => {
    it.each([
      ['aud', { aud: 'https://other.example' }],
      ['iss', { iss: 'https://evil.example' }],
      ['sub (another user)', { sub: randomUUID() }],
      ['tid (another tenant)', { tid: randomUUID() }],
      ['exp extended', { exp: Math.floor(Date.now() / 1000) + 86400 }],
      ['amr upgraded', { amr: ['pwd', 'mfa'] }],
    ])('%s', async (_name, change) => {
      await refused(tamperPayload(pair.access_token, (c) => ({ ...c, ...change })));
    });

    it('typ JWT on a real token (ID-token shaped header)', async () => {
      await refused(tamperHeader(pair.access_token, (h) => ({ ...h, typ: 'JWT' })));
      const { typ: _typ, ...withoutTyp } = realHeader();
      await refused(tamperHeader(pair.access_token, () => withoutTyp));
    });

    it('an ID-token-shaped token (typ JWT, nonce, no client_id) signed by another key', async () => {
      const { privateKey } = attackerKey();
      const { client_id: _c, ...claims } = realClaims();
      await refused(forgeEs256({ typ: 'JWT', kid: ourKey.kid }, { ...claims, nonce: 'n', aud: 'tessera' }, privateKey));
    });
  });

  describe('tokens that are not access tokens, or no longer live', () => {
    it('the refresh token used as an access token', async () => {
      const fresh = await login(t.http, user.email, password);
      await refused(fresh.refresh_token);
      // ...and it was not consumed or harmed by the attempt.
      expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: fresh.refresh_token })).status).toBe(200);
    });

    it('a token from before logout is refused; so is one from before logout-all', async () => {
      const a = await login(t.http, user.email, password);
      expect((await me(bearer(a.access_token))).status).toBe(200);
      expect((await t.http.post('/v1/auth/logout').set(bearer(a.access_token))).status).toBe(204);
      await refused(a.access_token);
      // Its refresh token is dead too.
      expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: a.refresh_token })).status).toBe(401);

      const other = await createUser({ tenantId: user.tenantId, password, email: uniqueLoginEmail('atk-all') });
      const b1 = await login(t.http, other.email, password);
      const b2 = await login(t.http, other.email, password);
      expect((await t.http.post('/v1/auth/logout-all').set(bearer(b1.access_token))).status).toBe(204);
      await refused(b1.access_token);
      await refused(b2.access_token);
    });

    it('a token whose hash is gone from the cache (flush) is refused; refresh still works', async () => {
      const p = await login(t.http, user.email, password);
      expect((await me(bearer(p.access_token))).status).toBe(200);
      const store = t.app.get<KeyValueStore>(KV_STORE);
      expect(await store.del(`at:${tokenHash(p.access_token)}`)).toBe(1);
      await refused(p.access_token);

      const r = await t.http.post('/v1/auth/refresh').send({ refresh_token: p.refresh_token });
      expect(r.status).toBe(200);
      expect(r.body.access_token).not.toBe(p.access_token);
      expect(jwtClaims(r.body.access_token).sid).toBe(jwtClaims(p.access_token).sid);
      expect((await me(bearer(r.body.access_token))).status).toBe(200);
      // The flushed one stays dead: refresh never resurrects it.
      await refused(p.access_token);
    });

    it('after its tenant is suspended, a session can no longer be refreshed', async () => {
      const other = await createTenant();
      const u = await createUser({ tenantId: other.id, password, email: uniqueLoginEmail('atk-susp') });
      const p = await login(t.http, u.email, password);
      await sql(`update tenants set status = 'suspended' where id = $1`, [other.id]);
      const r = await t.http.post('/v1/auth/refresh').send({ refresh_token: p.refresh_token });
      expect(r.status).toBe(401);
      expect(r.body).not.toHaveProperty('access_token');
    });

    it('a token minted by a refresh that races with the end of its session is not live', async () => {
      const p = await login(t.http, user.email, password);
      const sid = String(jwtClaims(p.access_token).sid);
      const cache = t.app.get(TokenCache);
      const remember = cache.rememberForSession.bind(cache);
      // Another instance ends the session after the refresh committed but before its cache
      // write: the write must find the revocation's tombstone and index nothing.
      jest.spyOn(cache, 'rememberForSession').mockImplementationOnce(async (token, entry, ttlMs) => {
        await t.app.get(SessionService).revokeSession(user.tenantId, user.id, sid, 'logout', { action: 'auth.logout', by: { kind: 'session', userId: user.id, tokenId: null } as never });
        const indexed = await remember(token, entry, ttlMs);
        await refused(token);
        return indexed;
      });
      try {
        const r = await t.http.post('/v1/auth/refresh').send({ refresh_token: p.refresh_token });
        expect(r.status).toBe(401);
        expect(r.body.type).toBe('urn:tessera:problem:invalid-refresh-token');
      } finally {
        jest.restoreAllMocks();
      }
      await refused(p.access_token);
    });

    it('a session ended just after a refresh indexed its token takes that token with it', async () => {
      const p = await login(t.http, user.email, password);
      const sid = String(jwtClaims(p.access_token).sid);
      const r = await t.http.post('/v1/auth/refresh').send({ refresh_token: p.refresh_token });
      expect(r.status).toBe(200);
      expect((await me({ authorization: `Bearer ${r.body.access_token}` })).status).toBe(200);
      await t.app.get(SessionService).revokeSession(user.tenantId, user.id, sid, 'logout', { action: 'auth.logout', by: { kind: 'session', userId: user.id, tokenId: null } as never });
      await refused(r.body.access_token);
      // And the session's refresh token is dead too: nothing mints for it again.
      expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: r.body.refresh_token })).status).toBe(401);
    });
  });

  describe('the Authorization header itself', () => {
    it.each([
      ['garbage', 'Bearer garbage'],
      ['garbage with dots', 'Bearer a.b.c'],
      ['an empty token', 'Bearer '],
      ['the scheme alone', 'Bearer'],
      ['non-ASCII', 'Bearer ä.ö.ü'],
    ])('Bearer with %s', async (_name, value) => {
      await expectInvalidToken(await me({ authorization: value }));
    });

    it('a valid token behind two spaces is refused (one canonical form only)', async () => {
      await expectInvalidToken(await me({ authorization: `Bearer  ${pair.access_token}` }));
    });

    it('a valid token with a lowercase "bearer" scheme is refused (one canonical form only)', async () => {
      await expectInvalidToken(await me({ authorization: `bearer ${pair.access_token}` }));
      await expectInvalidToken(await me({ authorization: `BEARER ${pair.access_token}` }));
    });

    it('two tokens in one header are refused', async () => {
      await expectInvalidToken(await me({ authorization: `Bearer ${pair.access_token} ${pair.access_token}` }));
      await expectInvalidToken(await me({ authorization: `Bearer ${pair.access_token}, Bearer ${pair.access_token}` }));
    });

    it('?access_token= in the query is refused, even with a valid header (tokens never travel in URLs)', async () => {
      for (const headers of [{}, bearer(pair.access_token)]) {
        const res = await t.http.get('/v1/me').query({ access_token: pair.access_token }).set(headers);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_request"');
        expect(JSON.stringify(res.body)).not.toContain(pair.access_token);
        const rows = await auditRowsOfRequest(String(res.headers['x-request-id']));
        expect(rows.map((r) => r.reason)).toEqual(['token_in_query']);
        expect(JSON.stringify(rows)).not.toContain(pair.access_token.split('.')[1]);
      }
    });
  });
});

/**
 * The claim checks of AccessTokenService, against a key we control: here we can sign a token
 * correctly and break exactly one rule, which HTTP tests cannot (they do not hold our key).
 */
describe('AccessTokenService claim checks (with a stub key service)', () => {
  const config = testConfig();
  const kid = 'test-kid-0000000001';
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  let svc: AccessTokenService;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    ({ privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true }));
    const stub: Pick<SigningKeyService, 'signingKey' | 'verificationKey'> = {
      signingKey: async () => ({ kid, key: privateKey }),
      verificationKey: async (k: string) => (k === kid ? publicKey : undefined),
    };
    svc = new AccessTokenService(config, stub as SigningKeyService);
  });

  function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
    const t = now();
    const base: Record<string, unknown> = {
      iss: config.http.publicUrl,
      aud: config.http.publicUrl,
      sub: randomUUID(),
      tid: randomUUID(),
      sid: randomUUID(),
      amr: ['pwd'],
      acr: 'urn:tessera:acr:password',
      auth_time: t,
      client_id: 'tessera',
      jti: 'jti-1234567890',
      iat: t,
      exp: t + 900,
    };
    for (const [k, v] of Object.entries(over)) {
      if (v === undefined) delete base[k];
      else base[k] = v;
    }
    return base;
  }

  const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header }).sign(privateKey);

  async function expectRefused(token: string): Promise<void> {
    const err = await svc.verify(token).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProblemError);
    expect(err).toMatchObject({ status: 401, code: 'invalid-token', headers: { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE } });
  }

  it('accepts what it issues, with the RFC 9068 header and claims', async () => {
    const sub = randomUUID();
    const { token, jti, expiresIn } = await svc.issue({ sub, tid: randomUUID(), sid: randomUUID(), amr: ['pwd'], acr: 'urn:tessera:acr:password', auth_time: now() });
    expect(expiresIn).toBe(900);
    expect(jwtHeader(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid });
    const c = await svc.verify(token);
    expect(c).toMatchObject({ sub, jti, iss: config.http.publicUrl, aud: config.http.publicUrl, client_id: 'tessera' });
    expect(c.exp! - c.iat!).toBe(900);
  });

  it('accepts a correctly signed baseline token (so each refusal below is about one rule)', async () => {
    await expect(svc.verify(await sign(claims()))).resolves.toMatchObject({ jti: 'jti-1234567890' });
  });

  it.each([
    ['wrong aud', { aud: 'https://other.example' }],
    ['aud missing', { aud: undefined }],
    ['wrong iss', { iss: 'https://evil.example' }],
    ['iss missing', { iss: undefined }],
    ['expired beyond the 60 s leeway', { iat: now() - 1000, exp: now() - 75 }],
    ['nbf beyond the 60 s leeway in the future', { nbf: now() + 75 }],
    ['jti missing', { jti: undefined }],
    ['sub missing', { sub: undefined }],
    ['tid missing', { tid: undefined }],
    ['sid missing', { sid: undefined }],
    ['client_id missing', { client_id: undefined }],
    ['exp missing', { exp: undefined }],
    ['iat missing', { iat: undefined }],
    ['exp not a number', { exp: String(now() + 900) }],
    ['iat beyond the 60 s leeway in the future', { iat: now() + 120, exp: now() + 1000 }],
    ['iat older than the 15-minute lifetime and the leeway, however late its exp', { iat: now() - 1000, exp: now() + 100 }],
    ['aud a list without ours', { aud: ['https://other.example'] }],
    ['iss not a string', { iss: ['https://evil.example'] }],
  ])('refuses a correctly signed token with %s', async (_name, over) => {
    await expectRefused(await sign(claims(over)));
  });

  it('allows exp and nbf within the 60 s leeway', async () => {
    await expect(svc.verify(await sign(claims({ iat: now() - 900, exp: now() - 45 })))).resolves.toBeDefined();
    await expect(svc.verify(await sign(claims({ nbf: now() + 45 })))).resolves.toBeDefined();
  });

  it.each([
    ['typ JWT (ID-token shaped)', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
    ['an unknown kid', { kid: 'some-other-kid-1' }],
    ['no kid', { kid: undefined }],
  ])('refuses a correctly signed token with %s', async (_name, header) => {
    const h: Record<string, unknown> = { alg: 'ES256', typ: 'at+jwt', kid, ...header };
    for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
    await expectRefused(await new SignJWT(claims()).setProtectedHeader(h as { alg: string }).sign(privateKey));
  });

  it('refuses a correctly signed token whose header names a key (jwk, jku, x5u, x5c), even our own', async () => {
    const pub = await exportJWK(publicKey);
    const keyObject = KeyObject.from(privateKey);
    for (const extra of [{ jwk: pub }, { jku: 'http://127.0.0.1:1/' }, { x5u: 'http://127.0.0.1:1/' }, { x5c: ['MIIB'] }, { crit: ['exp'] }]) {
      await expectRefused(forgeEs256({ typ: 'at+jwt', kid, ...extra }, claims(), keyObject));
    }
  });

  it('refuses an ID token shaped like one (typ JWT, nonce, aud = a client id)', async () => {
    const c = claims({ aud: 'tessera', client_id: undefined, nonce: 'abc' });
    await expectRefused(await new SignJWT(c).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid }).sign(privateKey));
  });

  it('refuses a token that is not JWT-shaped, or whose payload is not JSON', async () => {
    for (const t of ['', 'abc', 'a.b', 'a.b.c.d', `${b64url({ alg: 'ES256', typ: 'at+jwt', kid })}.${b64url('not json')}.${'A'.repeat(86)}`]) {
      await expectRefused(t);
    }
  });
});
