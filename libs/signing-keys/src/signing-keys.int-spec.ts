import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule } from '@tessera/audit';
import { ConfigModule, decodeMasterKey } from '@tessera/config';
import { CryptoModule, deriveKey } from '@tessera/crypto';
import { DatabaseModule, TenantDb } from '@tessera/database';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { randomBytes } from 'node:crypto';
import { sql } from '../../../test/support/db';
import { TEST_MASTER_KEY, testConfig } from '../../../test/support/config';
import { createScratchDatabase, ScratchDatabase } from '../../../test/support/scratch-db';
import { openPrivateKey, PrivateKeyDecryptError } from './private-key-box';
import { SigningKeyOptions } from './signing-key.options';
import { SigningKeyService } from './signing-key.service';
import { SigningKeysModule } from './signing-keys.module';

const MASTER_KEY = TEST_MASTER_KEY;
const OTHER_MASTER_KEY = randomBytes(32).toString('base64');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomKid = () => randomBytes(32).toString('base64url').slice(0, 43);

async function signWith(k: { kid: string; key: CryptoKey }, sub = 'user-1'): Promise<string> {
  return new SignJWT({ tid: 'tenant-1' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: k.kid })
    .setIssuer('http://tessera.test')
    .setAudience('tessera')
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(k.key);
}

/** Verifies exactly like a relying party: our algorithm only, the key looked up by kid. */
async function verifyWith(svc: SigningKeyService, token: string) {
  return jwtVerify(
    token,
    async (header) => {
      const key = await svc.verificationKey(header.kid ?? '');
      if (!key) throw new Error(`unknown kid ${header.kid}`);
      return key;
    },
    { algorithms: ['ES256'], issuer: 'http://tessera.test', audience: 'tessera' },
  );
}

/**
 * SigningKeyService against a PostgreSQL database of its own (same roles, fresh migrations):
 * signing_keys is platform-wide, and "first start", rotation and tampering need a table no
 * other test file writes to at the same time. test/signing-keys.e2e-spec.ts covers the shared
 * database over HTTP.
 */
describe('signing keys (integration, private database)', () => {
  let urls: ScratchDatabase;
  const contexts: INestApplicationContext[] = [];

  /** As the superuser, on this file's own database. */
  const q = <T extends Record<string, unknown> = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    sql<T>(text, params, urls.superUrl);

  /** One API instance's worth of the module. */
  async function start(
    overrides: Partial<SigningKeyOptions> = {},
    masterKey = MASTER_KEY,
  ): Promise<INestApplicationContext> {
    const config = testConfig({
      DATABASE_URL: urls.appUrl,
      DATABASE_OWNER_URL: urls.ownerUrl,
      TESSERA_MASTER_KEY: masterKey,
    });
    const ctx = await NestFactory.createApplicationContext(
      {
        module: class SigningKeysTestModule {},
        imports: [
          ConfigModule.forRoot(config),
          DatabaseModule,
          AuditModule,
          CryptoModule,
          SigningKeysModule.forRoot(overrides),
        ],
      },
      { logger: false },
    );
    contexts.push(ctx);
    return ctx;
  }

  const keyRows = () =>
    q<{
      kid: string;
      status: string;
      created_at: Date;
      activated_at: Date | null;
      retired_at: Date | null;
      publish_until: Date | null;
    }>(
      'select kid, status, created_at, activated_at, retired_at, publish_until from signing_keys order by created_at',
    );
  const auditRows = (action: string) =>
    q<{
      tenant_id: string | null;
      actor_type: string;
      actor_id: string;
      target_type: string;
      target_id: string;
      risk_tier: number;
      params: Record<string, unknown>;
    }>(
      'select tenant_id, actor_type, actor_id, target_type, target_id, risk_tier, params from audit_events where action = $1 order by occurred_at, seq',
      [action],
    );

  beforeAll(async () => {
    urls = await createScratchDatabase('tessera_test_keys');
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await urls.drop();
  });

  // The instance under test (default timings) and another one sharing the database, which
  // refreshes on every unknown kid and keeps its caches for 2 s instead of 60 s.
  let ctxA: INestApplicationContext;
  let A: SigningKeyService;
  let B: SigningKeyService;
  const B_CACHE_MS = 2000;
  let firstKid: string;

  describe('first start', () => {
    it('the CLI flavour (forCli) creates no key at start-up', async () => {
      const cli = await start({ manageKeys: false });
      expect(cli.get(SigningKeyService).options.manageKeys).toBe(false);
      expect(await keyRows()).toEqual([]);
    });

    it('two instances starting at once create exactly one active key', async () => {
      const [a, b] = await Promise.all([
        start(),
        start({ unknownKidRefreshMs: 0, cacheTtlMs: B_CACHE_MS }),
      ]);
      ctxA = a;
      A = a.get(SigningKeyService);
      B = b.get(SigningKeyService);
      const rows = await keyRows();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'active', retired_at: null, publish_until: null });
      expect(rows[0].activated_at).toBeInstanceOf(Date);
      firstKid = rows[0].kid;
      expect((await A.signingKey()).kid).toBe(firstKid);
      expect((await B.signingKey()).kid).toBe(firstKid);
      expect(await auditRows('keys.initialize')).toEqual([
        expect.objectContaining({
          tenant_id: null,
          actor_type: 'system',
          target_type: 'signing_key',
          target_id: firstKid,
          risk_tier: 4,
        }),
      ]);
    });
  });

  describe('storage', () => {
    it('keeps the public key in the clear, the kid as its RFC 7638 thumbprint, and the private key encrypted for its row only', async () => {
      const [row] = await q<{
        kid: string;
        alg: string;
        public_jwk: Record<string, string>;
        private_key_enc: string;
        whole: string;
      }>(
        'select kid, alg, public_jwk, private_key_enc, row_to_json(k)::text as whole from signing_keys k where kid = $1',
        [firstKid],
      );
      expect(row.alg).toBe('ES256');
      expect(Object.keys(row.public_jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
      expect(
        await calculateJwkThumbprint({
          kty: 'EC',
          crv: 'P-256',
          x: row.public_jwk.x,
          y: row.public_jwk.y,
        }),
      ).toBe(row.kid);
      expect(row.private_key_enc).toMatch(/^[A-Za-z0-9_-]+$/);

      const master = decodeMasterKey(MASTER_KEY)!;
      const priv = JSON.parse(
        openPrivateKey(deriveKey(master, 'signing-keys'), row.kid, row.private_key_enc),
      ) as Record<string, string>;
      expect(priv).toMatchObject({
        kty: 'EC',
        crv: 'P-256',
        x: row.public_jwk.x,
        y: row.public_jwk.y,
      });
      expect(priv.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Nowhere in the row in the clear.
      expect(row.whole).not.toContain(priv.d);
      // Only the key derived for this purpose opens it, and only for this kid.
      expect(() =>
        openPrivateKey(deriveKey(master, 'secret-pepper'), row.kid, row.private_key_enc),
      ).toThrow(PrivateKeyDecryptError);
      expect(() => openPrivateKey(master, row.kid, row.private_key_enc)).toThrow(
        PrivateKeyDecryptError,
      );
      expect(() =>
        openPrivateKey(deriveKey(master, 'signing-keys'), randomKid(), row.private_key_enc),
      ).toThrow(PrivateKeyDecryptError);
    });

    it('publishes only kty, crv, x, y, kid, alg and use; never the private scalar', async () => {
      const { keys } = await A.jwks();
      expect(keys).toHaveLength(1);
      expect(Object.keys(keys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(keys[0]).toMatchObject({
        kid: firstKid,
        alg: 'ES256',
        use: 'sig',
        kty: 'EC',
        crv: 'P-256',
      });
      expect(JSON.stringify(keys)).not.toMatch(/"d"/);
    });

    it('signs with the active key; the token verifies by kid and through the JWKS', async () => {
      const signing = await A.signingKey();
      expect(signing.key.extractable).toBe(false);
      const token = await signWith(signing);
      const { protectedHeader, payload } = await verifyWith(A, token);
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: firstKid });
      expect(payload.sub).toBe('user-1');
      const jwks = createLocalJWKSet(await A.jwks());
      await expect(jwtVerify(token, jwks, { algorithms: ['ES256'] })).resolves.toBeDefined();
    });
  });

  describe('rotation', () => {
    let tokenBefore: string;
    let secondKid: string;

    it('publishes the new key before it signs: rotate() adds a next key to the JWKS and the old one keeps signing', async () => {
      tokenBefore = await signWith(await A.signingKey(), 'signed-before-rotation');
      const cachedOnB = (await B.jwks()).keys.map((k) => k.kid);
      const r = await A.rotate();
      secondKid = r.kid;
      expect(r).toMatchObject({ status: 'next', created: true, previousKid: null });
      expect(secondKid).not.toBe(firstKid);
      const rows = await keyRows();
      expect(rows.map((x) => [x.kid, x.status])).toEqual([
        [firstKid, 'active'],
        [secondKid, 'next'],
      ]);
      expect(r.promotableAt!.getTime() - rows[1].created_at.getTime()).toBe(10 * 60_000);

      // Published at once on this instance, without signing.
      expect((await A.jwks()).keys.map((k) => k.kid).sort()).toEqual([firstKid, secondKid].sort());
      expect((await A.signingKey()).kid).toBe(firstKid);
      expect(await A.verificationKey(secondKid)).toBeDefined();

      // The other instance still serves its cached JWKS, but finds the new kid on demand.
      expect(cachedOnB).toEqual([firstKid]);
      expect((await B.jwks()).keys.map((k) => k.kid)).toEqual([firstKid]);
      expect(await B.verificationKey(secondKid)).toBeDefined();
      expect((await B.jwks()).keys.map((k) => k.kid).sort()).toEqual([firstKid, secondKid].sort());

      expect(await auditRows('keys.rotate')).toEqual([
        expect.objectContaining({
          tenant_id: null,
          actor_type: 'system',
          target_type: 'signing_key',
          target_id: secondKid,
          risk_tier: 4,
          params: expect.objectContaining({ immediate: false, activeKid: firstKid }),
        }),
      ]);
    });

    it('starts one rotation at a time: a second rotate() reuses the next key', async () => {
      const again = await Promise.all([A.rotate(), B.rotate()]);
      expect(again.map((r) => [r.kid, r.created])).toEqual([
        [secondKid, false],
        [secondKid, false],
      ]);
      expect((await keyRows()).filter((x) => x.status === 'next')).toHaveLength(1);
    });

    it('the scheduler does not promote a next key published for less than the propagation delay', async () => {
      expect(await A.runScheduledRotation()).toEqual({ promoted: null, created: null });
      expect(await A.promote()).toBeNull();
      expect((await A.signingKey()).kid).toBe(firstKid);
    });

    it('promotes it once published long enough; the old key is retired but still published, so its tokens verify', async () => {
      await q(`update signing_keys set created_at = now() - interval '11 minutes' where kid = $1`, [
        secondKid,
      ]);
      expect(await A.runScheduledRotation()).toEqual({ promoted: secondKid, created: null });

      const rows = await keyRows();
      const first = rows.find((x) => x.kid === firstKid)!;
      const second = rows.find((x) => x.kid === secondKid)!;
      expect(second).toMatchObject({ status: 'active', retired_at: null, publish_until: null });
      expect(first.status).toBe('retired');
      // 15 min token lifetime + 60 s signing cache of other instances + 60 s verification leeway.
      expect((first.publish_until!.getTime() - first.retired_at!.getTime()) / 1000).toBe(17 * 60);

      expect((await A.signingKey()).kid).toBe(secondKid);
      expect((await A.jwks()).keys.map((k) => k.kid).sort()).toEqual([firstKid, secondKid].sort());
      const verified = await verifyWith(A, tokenBefore);
      expect(verified.protectedHeader.kid).toBe(firstKid);
      expect(verified.payload.sub).toBe('signed-before-rotation');
      // A relying party with the current JWKS verifies both old and new tokens.
      const jwks = createLocalJWKSet(await A.jwks());
      await expect(jwtVerify(tokenBefore, jwks, { algorithms: ['ES256'] })).resolves.toBeDefined();
      await expect(
        jwtVerify(await signWith(await A.signingKey()), jwks, { algorithms: ['ES256'] }),
      ).resolves.toBeDefined();

      expect(await auditRows('keys.promote')).toEqual([
        expect.objectContaining({
          tenant_id: null,
          actor_type: 'system',
          target_id: secondKid,
          risk_tier: 4,
          params: expect.objectContaining({ immediate: false, previousKid: firstKid }),
        }),
      ]);
    });

    it('another instance keeps signing with the retired key only until its cache expires (inside publish_until)', async () => {
      // B may still sign with its cached key: the retired key stays published long enough for that.
      const onB = (await B.signingKey()).kid;
      expect([firstKid, secondKid]).toContain(onB);
      await sleep(B_CACHE_MS + 100);
      expect((await B.signingKey()).kid).toBe(secondKid);
      expect(await verifyWith(B, tokenBefore)).toBeDefined();
    });

    it('an operator rotation with immediate promotes at once and is audited as the operator', async () => {
      const oldToken = await signWith(await A.signingKey(), 'signed-before-immediate');
      const r = await A.rotate({ immediate: true, actor: { type: 'operator', id: 'alice' } });
      expect(r).toMatchObject({
        status: 'active',
        created: true,
        previousKid: secondKid,
        promotableAt: null,
      });
      expect(r.previousPublishUntil!.getTime()).toBeGreaterThan(Date.now() + 16 * 60_000);
      const thirdKid = r.kid;

      const rows = await keyRows();
      expect(rows.filter((x) => x.status === 'active').map((x) => x.kid)).toEqual([thirdKid]);
      expect(rows.find((x) => x.kid === secondKid)!.status).toBe('retired');
      expect((await A.signingKey()).kid).toBe(thirdKid);
      expect((await A.jwks()).keys.map((k) => k.kid).sort()).toEqual(
        [firstKid, secondKid, thirdKid].sort(),
      );
      expect((await verifyWith(A, oldToken)).payload.sub).toBe('signed-before-immediate');

      const rotate = (await auditRows('keys.rotate')).find((x) => x.target_id === thirdKid);
      const promote = (await auditRows('keys.promote')).find((x) => x.target_id === thirdKid);
      expect(rotate).toMatchObject({
        tenant_id: null,
        actor_type: 'operator',
        actor_id: 'alice',
        risk_tier: 4,
        params: { immediate: true, activeKid: secondKid },
      });
      expect(promote).toMatchObject({
        tenant_id: null,
        actor_type: 'operator',
        actor_id: 'alice',
        risk_tier: 4,
        params: { immediate: true, previousKid: secondKid },
      });
    });

    it('the scheduler starts a rotation when the active key is older than the rotation period', async () => {
      await q(
        `update signing_keys set activated_at = now() - interval '31 days' where status = 'active'`,
      );
      const r = await A.runScheduledRotation();
      expect(r.promoted).toBeNull();
      expect(r.created).toEqual(expect.any(String));
      const next = (await keyRows()).filter((x) => x.status === 'next');
      expect(next.map((x) => x.kid)).toEqual([r.created]);
      // The next pass does not start another one.
      expect(await A.runScheduledRotation()).toEqual({ promoted: null, created: null });
      // Promote it now so the remaining tests see a single active key and no next one.
      await A.rotate({ immediate: true });
      expect((await A.signingKey()).kid).toBe(r.created);
    });

    it('a retired key past publish_until is no longer published; its row is kept', async () => {
      const tokenOfFirst = tokenBefore;
      await q(
        `update signing_keys set publish_until = now() - interval '1 second' where kid = $1`,
        [firstKid],
      );
      // A fresh instance (a cache reload has the same effect within 60 s).
      const fresh = (await start({ manageKeys: false })).get(SigningKeyService);
      expect((await fresh.jwks()).keys.map((k) => k.kid)).not.toContain(firstKid);
      expect(await fresh.verificationKey(firstKid)).toBeUndefined();
      await expect(verifyWith(fresh, tokenOfFirst)).rejects.toThrow(/unknown kid/);
      const listed = (await fresh.list()).find((k) => k.kid === firstKid);
      expect(listed).toMatchObject({ status: 'retired', published: false });
      expect((await fresh.list()).filter((k) => k.published).map((k) => k.kid)).not.toContain(
        firstKid,
      );
    });
  });

  describe('verification cache', () => {
    it('an unknown kid is undefined, and a flood of 2,000 random kids reloads from the database at most once', async () => {
      const svc = A;
      await svc.jwks();
      const db = ctxA.get(TenantDb);
      const spy = jest.spyOn(db, 'withoutTenant');
      try {
        const concurrent = await Promise.all(
          Array.from({ length: 1000 }, () => svc.verificationKey(randomKid())),
        );
        expect(concurrent.every((k) => k === undefined)).toBe(true);
        for (let i = 0; i < 1000; i++)
          expect(await svc.verificationKey(randomKid())).toBeUndefined();
        expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
        // Known kids still answer from memory.
        const active = (await svc.signingKey()).kid;
        spy.mockClear();
        expect(await svc.verificationKey(active)).toBeDefined();
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });

    it('malformed kids (path traversal, SQL, oversize, odd characters) are refused before any cache or database access', async () => {
      const ctx = await start({ manageKeys: false });
      const svc = ctx.get(SigningKeyService);
      const spy = jest.spyOn(ctx.get(TenantDb), 'withoutTenant');
      try {
        const bad = [
          '../../etc/passwd',
          '..%2f..%2fkeys',
          "x' or '1'='1",
          "'; drop table signing_keys; --",
          'a'.repeat(10 * 1024),
          '',
          'short',
          'kid\u0000null-byte',
          'kïd-unicode-aaaa',
        ];
        for (const kid of bad) expect(await svc.verificationKey(kid)).toBeUndefined();
        expect(await svc.verificationKey(42 as unknown as string)).toBeUndefined();
        expect(spy).not.toHaveBeenCalled();
        // The same instance does reach the database for a well-formed kid (the spy works).
        expect(await svc.verificationKey(randomKid())).toBeUndefined();
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('private key integrity', () => {
    it('a ciphertext copied from another row does not decrypt, and the instance refuses to sign', async () => {
      const [active] = await q<{ kid: string; private_key_enc: string }>(
        `select kid, private_key_enc from signing_keys where status = 'active'`,
      );
      const [other] = await q<{ private_key_enc: string }>(
        `select private_key_enc from signing_keys where status = 'retired' limit 1`,
      );
      await q('update signing_keys set private_key_enc = $2 where kid = $1', [
        active.kid,
        other.private_key_enc,
      ]);
      try {
        const fresh = (await start({ manageKeys: false })).get(SigningKeyService);
        await expect(fresh.signingKey()).rejects.toThrow(PrivateKeyDecryptError);
      } finally {
        await q('update signing_keys set private_key_enc = $2 where kid = $1', [
          active.kid,
          active.private_key_enc,
        ]);
      }
      const restored = (await start({ manageKeys: false })).get(SigningKeyService);
      expect((await restored.signingKey()).kid).toBe(active.kid);
    });

    it('an instance with another master key cannot use the stored keys', async () => {
      const other = (await start({ manageKeys: false }, OTHER_MASTER_KEY)).get(SigningKeyService);
      await expect(other.signingKey()).rejects.toThrow(PrivateKeyDecryptError);
      // Public keys need no secret: verification still works there.
      expect((await other.jwks()).keys.length).toBeGreaterThan(0);
    });
  });
});
