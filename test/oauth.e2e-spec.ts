import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';
import { TokenCache } from '@tessera/sessions';
import { sql, startApp, TestApp, uniquePrefix } from './support/app';
import { basic, bearer, ClientBody, createClient, createKey } from './support/machine-helpers';
import { asUser, auditRows, createTenant, createUser, signIn, TestAuthModule } from './support/test-auth';

const FORM = 'application/x-www-form-urlencoded';

describe('OAuth 2.0 client credentials, introspection, revocation (e2e)', () => {
  let t: TestApp;
  let tenant: { id: string };
  let admin: { id: string; tenantId: string };
  let svcUser: { id: string; tenantId: string };
  let client: ClientBody;

  const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    t.http.post('/oauth/token').set({ 'content-type': FORM, ...headers }).send(new URLSearchParams(form).toString());
  const tokenBasic = async (c: ClientBody, extra: Record<string, string> = {}) => {
    const res = await token({ grant_type: 'client_credentials', ...extra }, { authorization: basic(c.clientId, c.clientSecret) });
    return res;
  };
  const post = (path: string, c: ClientBody, form: Record<string, string>) =>
    t.http.post(path).set({ 'content-type': FORM, authorization: basic(c.clientId, c.clientSecret) }).send(new URLSearchParams(form).toString());

  beforeAll(async () => {
    t = await startApp({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: uniquePrefix(), RATE_LIMIT_AUTH_PER_MINUTE: '100000' }, { extraModules: [TestAuthModule] });
    tenant = await createTenant();
    admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    svcUser = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    client = await createClient(t, admin.id, { userId: svcUser.id, scopes: ['write'] });
  });
  afterAll(() => t.close());

  it('creates a client: client_secret shown once, stored as a digest; listed without it', async () => {
    expect(client.clientId).toMatch(/^tsr_client_[0-9A-Za-z]{22}$/);
    expect(client.clientSecret).toMatch(/^tsr_cs_[0-9A-Za-z]{49}$/);
    const [row] = await sql<{ secret_digest: string }>('select secret_digest from oauth_clients where id = $1', [client.id]);
    expect(row!.secret_digest).toMatch(/^[0-9a-f]{64}$/);
    const list = await t.http.get('/v1/oauth-clients').set(asUser(admin.id));
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(client.clientSecret);
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(client.id);
    expect((await auditRows('oauth_client.create', tenant.id))[0]).toMatchObject({ actor_id: admin.id, target_id: client.id });
  });

  it('client_secret_basic and client_secret_post both yield an RFC 9068 token whose permissions are the user’s ∩ scopes', async () => {
    const a = await tokenBasic(client);
    expect(a.status).toBe(200);
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'write' });
    expect(a.body).not.toHaveProperty('refresh_token');
    const [header, payload] = a.body.access_token.split('.').slice(0, 2).map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: svcUser.id, client_id: client.clientId, tid: tenant.id, scope: 'write', iss: 'http://tessera.test', aud: 'http://tessera.test' });
    expect(payload.exp - payload.iat).toBe(900);
    expect(payload).not.toHaveProperty('sid');

    const b = await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
    expect(b.status).toBe(200);

    const me = await t.http.get('/v1/me').set(bearer(a.body.access_token));
    expect(me.status).toBe(200);
    expect(me.body.credential).toMatchObject({ type: 'oauth_client', id: client.id, scopes: ['write'] });
    expect(me.body.user.id).toBe(svcUser.id);
    // write = tiers 1–2 of a tenant admin: users:read yes, users:disable (tier 3) no.
    expect(me.body.permissions).toContain('users:read');
    expect(me.body.permissions).not.toContain('users:disable');
    expect((await t.http.get('/v1/users').set(bearer(a.body.access_token))).status).toBe(200);
    const rows = await auditRows('oauth.token', tenant.id);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]).toMatchObject({ actor_type: 'oauth_client', actor_id: client.clientId, credential_type: 'oauth_client' });
  });

  it('scope narrows the token; unknown, tier-4 or ungranted scopes are invalid_scope', async () => {
    const narrow = await tokenBasic(client, { scope: 'read' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('read');
    const me = await t.http.get('/v1/me').set(bearer(narrow.body.access_token));
    expect(me.body.permissions).not.toContain('users:update');
    expect(me.body.permissions).toContain('users:read');
    for (const scope of ['nope:nope', 'tenants:delete', 'execute', 'users:disable', '']) {
      const r = await tokenBasic(client, { scope });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_scope');
    }
  });

  it('refuses each client authentication failure with RFC 6749 errors, and audits them', async () => {
    const wrong = await token({ grant_type: 'client_credentials' }, { authorization: basic(client.clientId, `tsr_cs_${'A'.repeat(49)}`) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm="tessera"/);
    expect(wrong.headers['content-type']).toMatch(/^application\/json/);

    // A real secret of the right shape but not this client's.
    const other = await createClient(t, admin.id, { userId: svcUser.id, scopes: ['read'] });
    const mismatched = await token({ grant_type: 'client_credentials' }, { authorization: basic(client.clientId, other.clientSecret) });
    expect(mismatched.status).toBe(401);
    expect(mismatched.body.error).toBe('invalid_client');

    const inQuery = await t.http
      .post(`/oauth/token?client_secret=${encodeURIComponent(client.clientSecret)}`)
      .set('content-type', FORM)
      .send(new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId }).toString());
    expect(inQuery.status).toBe(401);
    expect(inQuery.body.error).toBe('invalid_client');

    for (const header of ['Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Basic ' + Buffer.from(`${client.clientId}:%zz`).toString('base64'), 'Bearer x']) {
      const r = await token({ grant_type: 'client_credentials' }, { authorization: header });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
    const none = await token({ grant_type: 'client_credentials' });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_client');

    const twoMethods = await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }, { authorization: basic(client.clientId, client.clientSecret) });
    expect(twoMethods.status).toBe(400);
    expect(twoMethods.body.error).toBe('invalid_request');

    const grant = await tokenBasic(client, { grant_type: 'password' });
    expect(grant.status).toBe(400);
    expect(grant.body.error).toBe('unsupported_grant_type');
    const missing = await t.http.post('/oauth/token').set({ 'content-type': FORM, authorization: basic(client.clientId, client.clientSecret) }).send('');
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    const dup = await t.http.post('/oauth/token').set({ 'content-type': FORM, authorization: basic(client.clientId, client.clientSecret) }).send('grant_type=client_credentials&grant_type=client_credentials');
    expect(dup.body.error).toBe('invalid_request');
    const json = await t.http.post('/oauth/token').set({ authorization: basic(client.clientId, client.clientSecret) }).send({ grant_type: 'client_credentials' });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');

    const failures = await auditRows('oauth.client_authentication', null);
    const reasons = failures.map((r) => r.reason);
    expect(reasons).toEqual(expect.arrayContaining(['wrong_secret', 'client_secret_in_query', 'malformed_basic_header', 'malformed_client_credentials']));
    expect(failures.find((r) => r.reason === 'wrong_secret')).toMatchObject({ tenant_id: tenant.id, actor_id: client.clientId, decision: 'deny' });
  });

  it('disabling the client revokes its live tokens at once; enabling lets it ask for new ones', async () => {
    const c = await createClient(t, admin.id, { userId: svcUser.id, scopes: ['read'] });
    const at = (await tokenBasic(c)).body.access_token as string;
    expect((await t.http.get('/v1/me').set(bearer(at))).status).toBe(200);
    expect((await t.http.post(`/v1/oauth-clients/${c.id}/disable`).set(asUser(admin.id))).status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(at))).status).toBe(401);
    const refused = await tokenBasic(c);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    expect((await t.http.post(`/v1/oauth-clients/${c.id}/enable`).set(asUser(admin.id))).status).toBe(200);
    expect((await tokenBasic(c)).status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(at))).status).toBe(401);
    expect(await auditRows('oauth_client.disable', tenant.id)).toHaveLength(1);
  });

  it.each([
    ['the client', (c: ClientBody) => `/v1/oauth-clients/${c.id}/disable`],
    ['its user', (_c: ClientBody, userId: string) => `/v1/users/${userId}/disable`],
  ])('a token signed while %s is being disabled is never indexed', async (_what, disablePath) => {
    const u = await createUser({ tenantId: tenant.id });
    const c = await createClient(t, admin.id, { userId: u.id, scopes: ['read'] });
    const cache = t.app.get(TokenCache);
    const rememberThenGet = cache.rememberThenGet.bind(cache);
    let minted = '';
    // The disable commits (and forgets the client's tokens) after the client authenticated
    // and while its token was being signed, just before the token is indexed.
    jest.spyOn(cache, 'rememberThenGet').mockImplementationOnce(async (tokenValue, entry, ttlMs, keys) => {
      minted = tokenValue;
      expect((await t.http.post(disablePath(c, u.id)).set(asUser(admin.id))).status).toBeLessThan(300);
      return rememberThenGet(tokenValue, entry, ttlMs, keys);
    });
    try {
      const res = await tokenBasic(c);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    } finally {
      jest.restoreAllMocks();
    }
    expect(minted).not.toBe('');
    expect((await t.http.get('/v1/me').set(bearer(minted))).status).toBe(401);
    expect(await auditRows('oauth.token', tenant.id)).not.toContainEqual(expect.objectContaining({ target_id: u.id }));
  });

  it('disabling the client’s user revokes its tokens and refuses new ones', async () => {
    const u = await createUser({ tenantId: tenant.id });
    const c = await createClient(t, admin.id, { userId: u.id, scopes: ['read'] });
    const at = (await tokenBasic(c)).body.access_token as string;
    expect((await t.http.get('/v1/me').set(bearer(at))).status).toBe(200);
    expect((await t.http.post(`/v1/users/${u.id}/disable`).set(asUser(admin.id))).status).toBeLessThan(300);
    expect((await t.http.get('/v1/me').set(bearer(at))).status).toBe(401);
    expect((await tokenBasic(c)).body.error).toBe('invalid_client');
  });

  it('owner demotion shrinks a client token at once', async () => {
    const u = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const c = await createClient(t, admin.id, { userId: u.id, scopes: ['read'] });
    const at = (await tokenBasic(c)).body.access_token as string;
    expect((await t.http.get('/v1/users').set(bearer(at))).status).toBe(200);
    const demote = await t.http.put(`/v1/users/${u.id}/roles`).set(asUser(admin.id)).send({ role: 'member', taskRoles: [] });
    expect(demote.status).toBe(200);
    expect((await t.http.get('/v1/users').set(bearer(at))).status).toBe(403);
    expect((await t.http.get('/v1/me').set(bearer(at))).status).toBe(200);
  });

  it('rotate-secret keeps the old secret for the overlap only', async () => {
    const c = await createClient(t, admin.id, { userId: svcUser.id, scopes: ['read'] });
    const rotated = await t.http.post(`/v1/oauth-clients/${c.id}/rotate-secret`).set(asUser(admin.id)).send({ overlapSeconds: 0 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.clientSecret).not.toBe(c.clientSecret);
    expect((await tokenBasic(c)).status).toBe(401);
    expect((await tokenBasic({ ...c, clientSecret: rotated.body.clientSecret })).status).toBe(200);
    const again = await t.http.post(`/v1/oauth-clients/${c.id}/rotate-secret`).set(asUser(admin.id)).send({});
    expect((await tokenBasic({ ...c, clientSecret: rotated.body.clientSecret })).status).toBe(200);
    expect((await tokenBasic({ ...c, clientSecret: again.body.clientSecret })).status).toBe(200);
  });

  describe('introspection and revocation', () => {
    let reader: ClientBody; // a client whose user lacks tokens:introspect
    let inspector: ClientBody; // a client of an admin, scoped to tokens:introspect

    beforeAll(async () => {
      const member = await createUser({ tenantId: tenant.id });
      reader = await createClient(t, admin.id, { userId: member.id, scopes: ['read'] });
      inspector = await createClient(t, admin.id, { userId: svcUser.id, scopes: ['tokens:introspect', 'read'] });
    });

    it('a client introspects its own tokens; another client sees active:false without tokens:introspect', async () => {
      const at = (await tokenBasic(reader)).body.access_token as string;
      const own = await post('/oauth/introspect', reader, { token: at });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ active: true, client_id: reader.clientId, scope: 'read', token_type: 'Bearer', tid: tenant.id });
      expect(own.body.permissions).toContain('self:read');
      const foreign = await post('/oauth/introspect', reader, { token: (await tokenBasic(client)).body.access_token });
      expect(foreign.body).toEqual({ active: false });
      const byInspector = await post('/oauth/introspect', inspector, { token: at });
      expect(byInspector.body).toMatchObject({ active: true, client_id: reader.clientId });
      for (const garbage of ['x', 'a.b.c', 'tsr_live_' + '0'.repeat(65), 'A'.repeat(43)]) {
        expect((await post('/oauth/introspect', inspector, { token: garbage })).body).toEqual({ active: false });
      }
      const noToken = await post('/oauth/introspect', inspector, {});
      expect(noToken.status).toBe(400);
      expect(noToken.body.error).toBe('invalid_request');
      const unauth = await t.http.post('/oauth/introspect').set('content-type', FORM).send(`token=${at}`);
      expect(unauth.status).toBe(401);
      expect(unauth.body.error).toBe('invalid_client');
    });

    it('introspects session access tokens, refresh tokens and API keys with tokens:introspect', async () => {
      const u = await createUser({ tenantId: tenant.id });
      const pair = await signIn(u);
      const at = await post('/oauth/introspect', inspector, { token: pair.access_token });
      expect(at.body).toMatchObject({ active: true, sub: u.id, client_id: 'tessera', tid: tenant.id });
      const rt = await post('/oauth/introspect', inspector, { token: pair.refresh_token, token_type_hint: 'refresh_token' });
      expect(rt.body).toMatchObject({ active: true, token_type: 'refresh_token', sub: u.id });
      const key = await createKey(t, u.id, { scopes: ['read'], mode: 'test' });
      const k = await post('/oauth/introspect', inspector, { token: key.key });
      expect(k.body).toMatchObject({ active: true, token_type: 'api_key', sub: u.id, key_id: key.id, scope: 'read', test: true });
      expect((await post('/oauth/introspect', reader, { token: key.key })).body).toEqual({ active: false });
    });

    it('a client cannot revoke another client’s token; it can revoke its own', async () => {
      const victim = (await tokenBasic(client)).body.access_token as string;
      const refused = await post('/oauth/revoke', reader, { token: victim });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('unauthorized_client');
      // Not even a client with tokens:introspect revokes another client's tokens.
      expect((await post('/oauth/revoke', inspector, { token: victim })).body.error).toBe('unauthorized_client');
      expect((await t.http.get('/v1/me').set(bearer(victim))).status).toBe(200);
      expect((await auditRows('access.denied', tenant.id)).some((r) => r.reason === 'revocation of another client’s token')).toBe(true);

      const own = await post('/oauth/revoke', client, { token: victim, token_type_hint: 'access_token' });
      expect(own.status).toBe(200);
      expect((await t.http.get('/v1/me').set(bearer(victim))).status).toBe(401);
      expect((await post('/oauth/revoke', client, { token: victim })).status).toBe(200);
      expect((await post('/oauth/revoke', client, { token: 'unknown-token' })).status).toBe(200);
      expect(await auditRows('oauth.token.revoke', tenant.id)).toHaveLength(1);
    });

    it('revokes a leaked API key or a session’s refresh token with tokens:introspect; never without', async () => {
      const u = await createUser({ tenantId: tenant.id });
      const key = await createKey(t, u.id, { scopes: ['read'] });
      expect((await post('/oauth/revoke', reader, { token: key.key })).body.error).toBe('unauthorized_client');
      expect((await t.http.get('/v1/me').set(bearer(key.key))).status).toBe(200);
      expect((await post('/oauth/revoke', inspector, { token: key.key })).status).toBe(200);
      expect((await t.http.get('/v1/me').set(bearer(key.key))).status).toBe(401);
      const pair = await signIn(u);
      expect((await post('/oauth/revoke', inspector, { token: pair.refresh_token })).status).toBe(200);
      expect((await t.http.get('/v1/me').set(bearer(pair.access_token))).status).toBe(401);
      expect((await t.http.post('/v1/auth/refresh').send({ refresh_token: pair.refresh_token })).status).toBe(401);
    });

    it('a client of another tenant sees nothing and revokes nothing', async () => {
      const other = await createTenant();
      const otherAdmin = await createUser({ tenantId: other.id, role: 'tenant_admin' });
      const otherClient = await createClient(t, otherAdmin.id, { userId: otherAdmin.id, scopes: ['tokens:introspect'] });
      const u = await createUser({ tenantId: tenant.id });
      const key = await createKey(t, u.id, { scopes: ['read'] });
      expect((await post('/oauth/introspect', otherClient, { token: key.key })).body).toEqual({ active: false });
      expect((await post('/oauth/revoke', otherClient, { token: key.key })).body.error).toBe('unauthorized_client');
      expect((await t.http.get('/v1/me').set(bearer(key.key))).status).toBe(200);
    });
  });

  it('private_key_jwt: a signed assertion authenticates once; a replayed jti is invalid_client', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'k1' };
    const created = await t.http.post('/v1/oauth-clients').set(asUser(admin.id)).send({ name: 'jwt svc', userId: svcUser.id, scopes: ['read'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('clientSecret');
    const clientId = created.body.clientId as string;
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience('http://tessera.test/oauth/token')
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(privateKey);
    const form = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
    const ok = await token(form);
    expect(ok.status).toBe(200);
    const replay = await token(form);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(clientId).setSubject(clientId).setAudience('http://tessera.test/oauth/token').setIssuedAt().setExpirationTime('2m').sign(otherKey);
    expect((await token({ ...form, client_assertion: forged })).status).toBe(401);
    expect((await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: `tsr_cs_${'A'.repeat(49)}` })).status).toBe(401);
    const reasons = (await auditRows('oauth.client_authentication', tenant.id)).map((r) => r.reason);
    expect(reasons).toEqual(expect.arrayContaining(['assertion_replayed', 'invalid_assertion']));
  });

  it('publishes RFC 8414 metadata listing only what exists', async () => {
    const res = await t.http.get('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: 'http://tessera.test',
      token_endpoint: 'http://tessera.test/oauth/token',
      introspection_endpoint: 'http://tessera.test/oauth/introspect',
      revocation_endpoint: 'http://tessera.test/oauth/revoke',
      jwks_uri: 'http://tessera.test/.well-known/jwks.json',
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    });
    expect(res.body.scopes_supported).toContain('read');
    expect(res.body.scopes_supported).not.toContain('tenants:delete');
  });
});

/** A free port, so PUBLIC_URL (the issuer) can name the address the server will listen on. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('openid-client 6 against our metadata (e2e)', () => {
  let t: TestApp;
  let issuer: string;
  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    t = await startApp({ PUBLIC_URL: issuer, RATE_LIMIT_AUTH_PER_MINUTE: '100000' }, { extraModules: [TestAuthModule] });
    await t.app.listen(port, '127.0.0.1');
  });
  afterAll(() => t.close());

  it('discovers the server from /.well-known/oauth-authorization-server, gets a client-credentials token and introspects it', async () => {
    const tenant = await createTenant();
    const admin = await createUser({ tenantId: tenant.id, role: 'tenant_admin' });
    const c = await createClient(t, admin.id, { userId: admin.id, scopes: ['read', 'tokens:introspect'] });
    const oidc = await import('openid-client');
    const config = await oidc.discovery(new URL(issuer), c.clientId, undefined, oidc.ClientSecretBasic(c.clientSecret), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().token_endpoint).toBe(`${issuer}/oauth/token`);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'read' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(900);
    const introspection = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, client_id: c.clientId, scope: 'read', sub: admin.id });
    await oidc.tokenRevocation(config, tokens.access_token);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    const post = await oidc.discovery(new URL(issuer), c.clientId, undefined, oidc.ClientSecretPost(c.clientSecret), { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
    expect((await oidc.clientCredentialsGrant(post)).access_token).toBeTruthy();
  });
});
