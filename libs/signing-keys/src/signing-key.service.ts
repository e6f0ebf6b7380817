import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { deriveKey } from '@tessera/crypto';
import { TenantDb } from '@tessera/database';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { openPrivateKey, sealPrivateKey } from './private-key-box';
import {
  isValidKid,
  retiredPublishSeconds,
  SIGNING_ALG,
  SIGNING_KEYS_MODULE_OPTIONS,
  SigningKeyOptions,
  signingKeyOptionsFromEnv,
} from './signing-key.options';
import {
  EcPublicJwk,
  PromotionResult,
  PublishedJwk,
  RotationResult,
  SCHEDULER_ACTOR,
  SigningKeyActor,
  SigningKeyRecord,
  SigningKeyStatus,
} from './signing-key.types';

/**
 * One lock for every change to signing_keys, taken per transaction: several instances
 * starting, rotating or promoting at once serialise here, so there is never a second
 * 'next' key, and the first start creates exactly one active key.
 */
const LOCK_SQL = `select pg_advisory_xact_lock(hashtext('tessera:signing-keys'))`;

interface PublishedKey {
  jwk: PublishedJwk;
  key: CryptoKey;
  status: SigningKeyStatus;
  /** Epoch ms; null while next/active. */
  publishUntil: number | null;
}

interface KeyRow {
  kid: string;
  alg: 'ES256';
  status: SigningKeyStatus;
  created_at: Date | string;
  activated_at: Date | string | null;
  retired_at: Date | string | null;
  publish_until: Date | string | null;
  published: boolean;
}

const toDate = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function asEcPublicJwk(jwk: unknown): EcPublicJwk | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  const j = jwk as Record<string, unknown>;
  if (j.kty !== 'EC' || j.crv !== 'P-256' || typeof j.x !== 'string' || typeof j.y !== 'string')
    return undefined;
  // Only the public members, whatever else the value carries.
  return { kty: 'EC', crv: 'P-256', x: j.x, y: j.y };
}

/**
 * The platform's token signing keys (ES256): generation, encrypted storage, the key that
 * signs now, the keys a verifier accepts, the JWKS, and rotation (next → active → retired
 * → unpublished). All crypto is jose / node:crypto; nothing is hand-written.
 */
@Injectable()
export class SigningKeyService {
  private readonly logger = new Logger('SigningKeys');
  private readonly encKey: Buffer;
  readonly options: SigningKeyOptions;

  // Signing cache: the active key, reloaded after cacheTtlMs or a local change.
  private signing?: { kid: string; key: CryptoKey; loadedAt: number };
  private signingLoad?: Promise<{ kid: string; key: CryptoKey }>;
  private signingGen = 0;
  /** The last decrypted private key, kept across reloads so a reload only re-reads the status. */
  private lastPrivate?: { kid: string; key: CryptoKey };

  // Verification cache: every published key by kid.
  private published = new Map<string, PublishedKey>();
  private publishedLoadedAt = 0;
  private publishedAttemptAt = 0;
  private publishedLoad?: Promise<void>;
  private publishedGen = 0;

  constructor(
    private readonly db: TenantDb,
    private readonly audit: AuditService,
    @InjectConfig() config: TesseraConfig,
    @Optional() @Inject(SIGNING_KEYS_MODULE_OPTIONS) overrides?: Partial<SigningKeyOptions>,
  ) {
    if (!config.security.masterKey) throw new Error('TESSERA_MASTER_KEY is not resolved');
    // A key for this purpose alone: a leak of another derived key says nothing about this one.
    this.encKey = deriveKey(config.security.masterKey, 'signing-keys');
    // Validated by @tessera/config at boot; the same rules as signingKeyOptionsFromEnv.
    this.options = {
      ...signingKeyOptionsFromEnv({
        SIGNING_KEY_ROTATION_DAYS: String(config.signingKeys.rotationDays),
        SIGNING_KEY_PROPAGATION_MINUTES: String(config.signingKeys.propagationMinutes),
        SIGNING_KEY_CHECK_INTERVAL_MINUTES: String(config.signingKeys.checkIntervalMinutes),
      }),
      ...overrides,
    };
  }

  /** The active key and its kid, for signing. Cached; other instances see a rotation within cacheTtlMs. */
  async signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    const c = this.signing;
    if (c && Date.now() - c.loadedAt < this.options.cacheTtlMs) return { kid: c.kid, key: c.key };
    if (!this.signingLoad) {
      const load = this.loadSigning().finally(() => {
        if (this.signingLoad === load) this.signingLoad = undefined;
      });
      this.signingLoad = load;
    }
    return this.signingLoad;
  }

  /**
   * The public key for a kid if it is published (next, active, or retired and before its
   * publish_until), else undefined. The kid is checked first, so malformed or oversize values
   * never reach the cache or the database; an unknown kid reloads the keys at most once per
   * unknownKidRefreshMs, so a flood of random kids costs no queries.
   */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    if (!isValidKid(kid)) return undefined;
    await this.freshPublished();
    const hit = this.lookup(kid);
    if (hit) return hit.key;
    if (Date.now() - this.publishedAttemptAt < this.options.unknownKidRefreshMs) return undefined;
    await this.reloadPublished();
    return this.lookup(kid)?.key;
  }

  /** The JWKS document: public members of every published key, newest first. */
  async jwks(): Promise<{ keys: PublishedJwk[] }> {
    await this.freshPublished();
    const keys = [...this.published.values()]
      .filter((k) => this.isLive(k))
      .map((k) => ({ ...k.jwk }));
    return { keys };
  }

  /** Every key row (without private keys), newest first, for operators. */
  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.withoutTenant((em) =>
      em.execute<KeyRow[]>(
        `select kid, alg, status, created_at, activated_at, retired_at, publish_until,
                (status in ('next', 'active') or publish_until > now()) as published
           from signing_keys order by created_at desc, kid`,
      ),
    );
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      status: r.status,
      createdAt: new Date(r.created_at),
      activatedAt: toDate(r.activated_at),
      retiredAt: toDate(r.retired_at),
      publishUntil: toDate(r.publish_until),
      published: r.published,
    }));
  }

  /**
   * First start: with no active key, create one directly as active (nothing can have cached
   * an older JWKS yet). Under the advisory lock, so two instances starting together create one.
   */
  async ensureKeys(): Promise<{ kid: string; created: boolean }> {
    const existing = await this.db.withoutTenant((em) => this.activeKid(em));
    if (existing) return { kid: existing, created: false };
    const result = await this.db.withoutTenant(async (em) => {
      await em.execute(LOCK_SQL);
      const kid = await this.activeKid(em);
      if (kid) return { kid, created: false };
      const key = await this.generate();
      await em.execute(
        `insert into signing_keys (kid, alg, public_jwk, private_key_enc, status, activated_at)
         values (?, 'ES256', cast(? as jsonb), ?, 'active', now())`,
        [key.kid, JSON.stringify(key.publicJwk), key.privateKeyEnc],
      );
      await this.audit.record(
        {
          action: 'keys.initialize',
          outcome: 'success',
          tenantId: null,
          actor: SCHEDULER_ACTOR,
          target: { type: 'signing_key', id: key.kid },
          riskTier: 4,
          params: { alg: SIGNING_ALG },
        },
        em,
      );
      return { kid: key.kid, created: true };
    });
    if (result.created) {
      this.logger.log(`created the first signing key ${result.kid}`);
      this.invalidate();
    }
    return result;
  }

  /**
   * Starts a rotation: a new key is created as 'next', so it is in the JWKS before it signs.
   * The scheduler promotes it once it has been published for propagationDelayMs. If a 'next'
   * key already exists it is reused (one rotation at a time).
   *
   * `immediate` (operator `keys rotate --now`, e.g. after a suspected key compromise) promotes
   * it at once. The new key is still committed and published before the old one stops signing,
   * but relying parties and other instances learn it only on their next JWKS fetch or unknown-kid
   * refresh (at most unknownKidRefreshMs here), so a few requests may be refused meanwhile.
   */
  async rotate(
    opts: { immediate?: boolean; actor?: SigningKeyActor } = {},
  ): Promise<RotationResult> {
    const actor = opts.actor ?? SCHEDULER_ACTOR;
    const immediate = opts.immediate === true;
    await this.ensureKeys();
    const next = await this.db.withoutTenant(async (em) => {
      await em.execute(LOCK_SQL);
      const [existing] = await em.execute<{ kid: string; created_at: Date | string }[]>(
        `select kid, created_at from signing_keys where status = 'next' order by created_at, kid limit 1`,
      );
      if (existing)
        return { kid: existing.kid, createdAt: new Date(existing.created_at), created: false };
      const activeKid = await this.activeKid(em);
      const key = await this.generate();
      const [row] = await em.execute<{ created_at: Date | string }[]>(
        `insert into signing_keys (kid, alg, public_jwk, private_key_enc, status)
         values (?, 'ES256', cast(? as jsonb), ?, 'next') returning created_at`,
        [key.kid, JSON.stringify(key.publicJwk), key.privateKeyEnc],
      );
      await this.audit.record(
        {
          action: 'keys.rotate',
          outcome: 'success',
          tenantId: null,
          actor,
          target: { type: 'signing_key', id: key.kid },
          riskTier: 4,
          params: {
            alg: SIGNING_ALG,
            immediate,
            activeKid,
            propagationSeconds: this.options.propagationDelayMs / 1000,
          },
        },
        em,
      );
      return { kid: key.kid, createdAt: new Date(row.created_at), created: true };
    });
    // Our own instance publishes it at once; the others within cacheTtlMs.
    this.invalidate();
    const promotableAt = new Date(next.createdAt.getTime() + this.options.propagationDelayMs);
    if (!immediate) {
      return {
        kid: next.kid,
        status: 'next',
        created: next.created,
        previousKid: null,
        previousPublishUntil: null,
        promotableAt,
      };
    }
    const promoted = await this.promote({ kid: next.kid, immediate: true, actor });
    const status = promoted ? 'active' : await this.statusOf(next.kid);
    return {
      kid: next.kid,
      status,
      created: next.created,
      previousKid: promoted?.previousKid ?? null,
      previousPublishUntil: promoted?.previousPublishUntil ?? null,
      promotableAt: null,
    };
  }

  /**
   * next → active, and the active key → retired, published until every token it may have
   * signed has expired. Without `immediate`, only a 'next' key published for at least
   * propagationDelayMs is promoted. Returns null when there is nothing to promote.
   */
  async promote(
    opts: { kid?: string; immediate?: boolean; actor?: SigningKeyActor } = {},
  ): Promise<PromotionResult | null> {
    const actor = opts.actor ?? SCHEDULER_ACTOR;
    const immediate = opts.immediate === true;
    const result = await this.db.withoutTenant(async (em) => {
      await em.execute(LOCK_SQL);
      const [next] = await em.execute<{ kid: string }[]>(
        `select kid from signing_keys
          where status = 'next'
            and (? or created_at <= now() - make_interval(secs => ?))
            and (cast(? as text) is null or kid = ?)
          order by created_at, kid limit 1`,
        [immediate, this.options.propagationDelayMs / 1000, opts.kid ?? null, opts.kid ?? null],
      );
      if (!next) return null;
      // Retire first: at most one row may be active (partial unique index).
      const [previous] = await em.execute<{ kid: string; publish_until: Date | string }[]>(
        `update signing_keys
            set status = 'retired', retired_at = now(), publish_until = now() + make_interval(secs => ?)
          where status = 'active' returning kid, publish_until`,
        [retiredPublishSeconds(this.options)],
      );
      await em.execute(
        `update signing_keys set status = 'active', activated_at = now() where kid = ?`,
        [next.kid],
      );
      const previousPublishUntil = previous ? new Date(previous.publish_until) : null;
      await this.audit.record(
        {
          action: 'keys.promote',
          outcome: 'success',
          tenantId: null,
          actor,
          target: { type: 'signing_key', id: next.kid },
          riskTier: 4,
          params: {
            immediate,
            previousKid: previous?.kid ?? null,
            previousPublishUntil: previousPublishUntil?.toISOString() ?? null,
          },
        },
        em,
      );
      return { kid: next.kid, previousKid: previous?.kid ?? null, previousPublishUntil };
    });
    if (result) {
      this.logger.log(
        `signing key ${result.kid} is now active${result.previousKid ? `; ${result.previousKid} retired` : ''}`,
      );
      this.invalidate();
    }
    return result;
  }

  /**
   * One scheduler pass: promote a 'next' key that has been published long enough, then start
   * a rotation if the active key is older than the rotation period. Safe on every instance.
   */
  async runScheduledRotation(): Promise<{ promoted: string | null; created: string | null }> {
    await this.ensureKeys();
    const promoted = await this.promote({ actor: SCHEDULER_ACTOR });
    const [due] = await this.db.withoutTenant((em) =>
      em.execute<{ due: boolean }[]>(
        `select (coalesce(activated_at, created_at) <= now() - make_interval(secs => ?)
                 and not exists (select 1 from signing_keys where status = 'next')) as due
           from signing_keys where status = 'active'`,
        [this.options.rotationPeriodMs / 1000],
      ),
    );
    let created: string | null = null;
    if (due?.due) {
      const r = await this.rotate({ actor: SCHEDULER_ACTOR });
      if (r.created) created = r.kid;
    }
    return { promoted: promoted?.kid ?? null, created };
  }

  /** Drops the in-memory caches (after a local change); the next call reloads from the database. */
  invalidate(): void {
    this.signingGen++;
    this.signing = undefined;
    this.signingLoad = undefined;
    this.publishedGen++;
    this.publishedLoadedAt = 0;
    this.publishedLoad = undefined;
  }

  private async loadSigning(): Promise<{ kid: string; key: CryptoKey }> {
    const gen = this.signingGen;
    const read = () =>
      this.db.withoutTenant((em) =>
        em.execute<{ kid: string; private_key_enc: string }[]>(
          `select kid, private_key_enc from signing_keys where status = 'active'`,
        ),
      );
    let [row] = await read();
    if (!row) {
      await this.ensureKeys();
      [row] = await read();
      if (!row) throw new Error('no active signing key');
    }
    let key = this.lastPrivate?.kid === row.kid ? this.lastPrivate.key : undefined;
    if (!key) {
      key = await this.importPrivate(row.kid, row.private_key_enc);
      this.lastPrivate = { kid: row.kid, key };
    }
    // A local rotation while this load ran makes its result stale: return it, but do not cache it.
    if (gen === this.signingGen) this.signing = { kid: row.kid, key, loadedAt: Date.now() };
    return { kid: row.kid, key };
  }

  private async importPrivate(kid: string, sealed: string): Promise<CryptoKey> {
    const jwk = JSON.parse(openPrivateKey(this.encKey, kid, sealed)) as JWK;
    const pub = asEcPublicJwk(jwk);
    if (!pub || typeof jwk.d !== 'string')
      throw new Error(`signing key ${kid} has no usable private key`);
    // Non-extractable: the running process can sign with it but never export it again.
    return importJWK({ ...pub, d: jwk.d }, SIGNING_ALG, { extractable: false });
  }

  private async freshPublished(): Promise<void> {
    if (Date.now() - this.publishedLoadedAt < this.options.cacheTtlMs) return;
    await this.reloadPublished();
  }

  private reloadPublished(): Promise<void> {
    if (!this.publishedLoad) {
      this.publishedAttemptAt = Date.now();
      const load = this.loadPublished().finally(() => {
        if (this.publishedLoad === load) this.publishedLoad = undefined;
      });
      this.publishedLoad = load;
    }
    return this.publishedLoad;
  }

  private async loadPublished(): Promise<void> {
    const gen = this.publishedGen;
    const rows = await this.db.withoutTenant((em) =>
      em.execute<
        {
          kid: string;
          public_jwk: unknown;
          status: SigningKeyStatus;
          publish_until: Date | string | null;
        }[]
      >(
        `select kid, public_jwk, status, publish_until from signing_keys
          where status in ('next', 'active') or (status = 'retired' and publish_until > now())
          order by created_at desc, kid`,
      ),
    );
    const next = new Map<string, PublishedKey>();
    for (const r of rows) {
      const pub = asEcPublicJwk(r.public_jwk);
      if (!pub || !isValidKid(r.kid)) {
        this.logger.error(`signing key ${r.kid} has an unusable public key; not published`);
        continue;
      }
      const known = this.published.get(r.kid);
      // The kid is the key's thumbprint: a row whose public key does not match it is not ours.
      if (!known && (await calculateJwkThumbprint(pub, 'sha256')) !== r.kid) {
        this.logger.error(`signing key ${r.kid} does not match its public key; not published`);
        continue;
      }
      const key = known ? known.key : await importJWK(pub, SIGNING_ALG);
      next.set(r.kid, {
        jwk: { ...pub, kid: r.kid, alg: SIGNING_ALG, use: 'sig' },
        key,
        status: r.status,
        publishUntil: r.publish_until === null ? null : new Date(r.publish_until).getTime(),
      });
    }
    if (gen !== this.publishedGen) return;
    this.published = next;
    this.publishedLoadedAt = Date.now();
  }

  private lookup(kid: string): PublishedKey | undefined {
    const k = this.published.get(kid);
    return k && this.isLive(k) ? k : undefined;
  }

  /** A retired key drops out at publish_until even between reloads. */
  private isLive(k: PublishedKey): boolean {
    return k.publishUntil === null || k.publishUntil > Date.now();
  }

  private async activeKid(em: EntityManager): Promise<string | undefined> {
    const [row] = await em.execute<{ kid: string }[]>(
      `select kid from signing_keys where status = 'active'`,
    );
    return row?.kid;
  }

  private async statusOf(kid: string): Promise<SigningKeyStatus> {
    const [row] = await this.db.withoutTenant((em) =>
      em.execute<{ status: SigningKeyStatus }[]>(`select status from signing_keys where kid = ?`, [
        kid,
      ]),
    );
    return row.status;
  }

  /** A fresh P-256 key pair; kid = its RFC 7638 thumbprint; the private JWK sealed under our key. */
  private async generate(): Promise<{
    kid: string;
    publicJwk: EcPublicJwk;
    privateKeyEnc: string;
  }> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const publicJwk = asEcPublicJwk(await exportJWK(publicKey));
    const d = (await exportJWK(privateKey)).d;
    if (!publicJwk || typeof d !== 'string')
      throw new Error('ES256 key generation returned an unexpected JWK');
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    return {
      kid,
      publicJwk,
      privateKeyEnc: sealPrivateKey(this.encKey, kid, JSON.stringify({ ...publicJwk, d })),
    };
  }
}
