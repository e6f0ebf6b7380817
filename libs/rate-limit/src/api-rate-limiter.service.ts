import { Inject, Injectable } from '@nestjs/common';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { REDIS_CLIENT, StoreUnavailableError } from '@tessera/store';
import type Redis from 'ioredis';
import { BucketDecision, BucketPolicy, GCRA_LUA, MemoryBuckets } from './token-bucket';

/** Who is limited: the tenant, and the credential when it is an API key, S2S token or OAuth client. */
export interface LimitedCaller {
  tenantId: string;
  kind: string;
  credentialId?: string;
}

export interface TenantLimits {
  tenant: BucketPolicy;
  credential: BucketPolicy;
}

export interface LimitOutcome extends BucketDecision {
  names: string[];
  policies: BucketPolicy[];
  /**
   * The values of the keys asked to be read ahead (null for a missing key), in the order
   * asked, when the request was allowed and the store could read them in the same script;
   * undefined otherwise (refused, in-process buckets, nothing asked).
   */
  reads?: (string | null)[];
}

type GcraCommand = (...args: (string | number)[]) => Promise<(number | string | null)[]>;

/** A tenant's own limits are re-read this often (a settings change applies within it). */
const POLICY_TTL_MS = 30_000;

/**
 * The API limits that apply after authentication (the per-IP throttler runs before it):
 * one token bucket per tenant and one per API key / S2S token / OAuth client, with the
 * tenant's own numbers (tenant settings `rateLimit`) or the platform defaults. Buckets live
 * in Redis (an atomic Lua script per request, shared by every instance), in process on the
 * embedded default. A store that cannot count refuses (503), never lets through.
 */
@Injectable()
export class ApiRateLimiter {
  private readonly memory = new MemoryBuckets();
  private readonly gcra?: GcraCommand;
  private readonly policies = new Map<string, { limits: TenantLimits; at: number }>();
  private readonly loading = new Map<string, Promise<TenantLimits>>();

  constructor(
    @InjectConfig() private readonly config: TesseraConfig,
    @Inject(REDIS_CLIENT) redis: Redis | null,
    private readonly db: TenantDb,
  ) {
    if (redis) {
      redis.defineCommand('tesseraGcra', { lua: GCRA_LUA });
      const cmd = (redis as unknown as { tesseraGcra: GcraCommand }).tesseraGcra.bind(redis);
      this.gcra = cmd;
    }
  }

  /**
   * Tenant bucket, plus the credential's bucket when the caller is a delegated credential;
   * when allowed, the store keys in `readAhead` are read in the same script (`reads`).
   */
  takeForCaller(caller: LimitedCaller, readAhead: readonly string[] = []): Promise<LimitOutcome> {
    // Limits cached (the usual case): no promise of their own, straight to the script.
    const cached = this.cachedLimits(caller.tenantId);
    if (cached) return this.takeWith(cached, caller, readAhead);
    return this.limitsFor(caller.tenantId).then((limits) => this.takeWith(limits, caller, readAhead));
  }

  private takeWith(limits: TenantLimits, caller: LimitedCaller, readAhead: readonly string[]): Promise<LimitOutcome> {
    const names = ['tenant'];
    const keys = [`{rl:${caller.tenantId}}:t`];
    const policies = [limits.tenant];
    if (caller.kind !== 'session' && caller.credentialId) {
      names.push(caller.kind);
      keys.push(`{rl:${caller.tenantId}}:c:${caller.credentialId}`);
      policies.push(limits.credential);
    }
    return this.take(names, keys, policies, readAhead);
  }

  /** The credential's bucket alone (the token endpoint: per OAuth client). */
  async takeForCredential(tenantId: string, kind: string, credentialId: string): Promise<LimitOutcome> {
    const limits = await this.limitsFor(tenantId);
    return this.take([kind], [`{rl:${tenantId}}:c:${credentialId}`], [limits.credential]);
  }

  private take(names: string[], keys: string[], policies: BucketPolicy[], readAhead: readonly string[] = []): Promise<LimitOutcome> {
    if (!this.gcra) return Promise.resolve({ ...this.memory.take(keys, policies), names, policies });
    const args: (string | number)[] = [keys.length + readAhead.length, ...keys, ...readAhead, keys.length];
    for (const p of policies) args.push(60_000 / p.perMinute, p.burst);
    return this.gcra(...args).then(
      (raw) => {
        const states = policies.map((_, i) => ({ remaining: Number(raw[1 + 3 * i]), resetMs: Number(raw[2 + 3 * i]), retryMs: Number(raw[3 + 3 * i]) }));
        const allowed = raw[0] === 1;
        const first = 1 + 3 * policies.length;
        const reads = allowed && readAhead.length ? (raw.slice(first, first + readAhead.length) as (string | null)[]) : undefined;
        return { allowed, states, names, policies, reads };
      },
      (err: unknown) => {
        throw new StoreUnavailableError(err);
      },
    );
  }

  /** The tenant's limits: its settings, else the platform defaults; cached briefly per instance. */
  async limitsFor(tenantId: string): Promise<TenantLimits> {
    const hit = this.cachedLimits(tenantId);
    if (hit) return hit;
    let p = this.loading.get(tenantId);
    if (!p) {
      p = this.load(tenantId).finally(() => this.loading.delete(tenantId));
      this.loading.set(tenantId, p);
    }
    return p;
  }

  private cachedLimits(tenantId: string): TenantLimits | undefined {
    const hit = this.policies.get(tenantId);
    return hit && Date.now() - hit.at < POLICY_TTL_MS ? hit.limits : undefined;
  }

  /** Forget a tenant's cached limits (its settings just changed on this instance). */
  forget(tenantId: string): void {
    this.policies.delete(tenantId);
  }

  private async load(tenantId: string): Promise<TenantLimits> {
    const rows = await this.db.withTenant(tenantId, (em) =>
      em.execute<{ rl: Record<string, unknown> | null }[]>(`select settings -> 'rateLimit' as rl from tenants where id = ?`, [tenantId]),
    );
    const rl = rows[0]?.rl ?? {};
    const num = (v: unknown, d: number) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : d);
    const defaults = this.config.rateLimit;
    const limits: TenantLimits = {
      tenant: { perMinute: num(rl.perMinute, defaults.tenant.perMinute), burst: num(rl.burst, defaults.tenant.burst) },
      credential: {
        perMinute: num(rl.credentialPerMinute, defaults.credential.perMinute),
        burst: num(rl.credentialBurst, defaults.credential.burst),
      },
    };
    if (this.policies.size > 10_000) this.policies.clear();
    this.policies.set(tenantId, { limits, at: Date.now() });
    return limits;
  }
}

/**
 * The IETF draft RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): one named
 * policy per bucket. A token bucket of `burst` refilling at `perMinute` is the quota
 * `q=burst` per window `w=burst/perMinute` minutes; `r` is what is left now, `t` the seconds
 * until the bucket is full again.
 */
export function rateLimitHeaders(outcome: LimitOutcome): Record<string, string> {
  const policy = outcome.names
    .map((n, i) => {
      const p = outcome.policies[i]!;
      return `"${n}";q=${p.burst};w=${Math.max(1, Math.round((p.burst * 60) / p.perMinute))}`;
    })
    .join(', ');
  const state = outcome.names
    .map((n, i) => {
      const s = outcome.states[i]!;
      return `"${n}";r=${s.remaining};t=${Math.max(0, Math.ceil(s.resetMs / 1000))}`;
    })
    .join(', ');
  return { 'RateLimit-Policy': policy, RateLimit: state };
}

export function retryAfterSeconds(outcome: LimitOutcome): number {
  return Math.max(1, Math.ceil(Math.max(...outcome.states.map((s) => s.retryMs)) / 1000));
}

/** The 429 of an exhausted bucket: problem+json with Retry-After and the RateLimit fields. */
export function rateLimited(outcome: LimitOutcome): ProblemError {
  const which = outcome.names.filter((_, i) => outcome.states[i]!.retryMs > 0);
  return new ProblemError(
    429,
    'rate-limited',
    'Too many requests',
    `The ${which.join(' and ')} rate limit is exhausted; retry after the time given in Retry-After.`,
    { limits: which },
    { 'Retry-After': String(retryAfterSeconds(outcome)), ...rateLimitHeaders(outcome) },
  );
}
