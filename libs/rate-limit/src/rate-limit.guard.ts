import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModuleOptions, ThrottlerRequest, ThrottlerStorage, InjectThrottlerOptions, InjectThrottlerStorage } from '@nestjs/throttler';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { HandlerMetadata } from '@tessera/http';
import type { FastifyRequest } from 'fastify';
import { RATE_LIMIT_CATEGORY, RateLimitCategory } from './rate-limit.decorator';

type CountPlan = Omit<ThrottlerRequest, 'context'>;

/** Set on a request whose per-IP count was deferred until authentication had its say. */
const DEFERRED = Symbol('tessera.perIpDeferred');
type MaybeDeferred = FastifyRequest & { [DEFERRED]?: 'deferred' | 'counting' };

/**
 * @nestjs/throttler's guard, keyed by the client IP that Fastify resolved once from
 * TRUSTED_PROXIES (`request.ip`), with per-category limits taken from configuration.
 *
 * Who is counted per IP:
 * - `@RateLimit('auth')` routes (login, sign-up, activation, reset, MFA, token): always.
 * - Requests without a credential (public routes, anonymous calls): always.
 * - Requests that present a credential (an Authorization header) on any other route: only
 *   if authentication FAILS (the authentication guard calls countDeferred()). An
 *   authenticated caller is limited per tenant and per credential instead (ApiRateLimitGuard):
 *   a per-IP limit on them would throttle a whole company behind one NAT address, and cost
 *   every authenticated request a Redis round trip for nothing the buckets do not cover.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @InjectConfig() private readonly config: TesseraConfig,
    private readonly meta: HandlerMetadata,
  ) {
    super(options, storage, reflector);
  }

  /**
   * What the guard chain (AccessGuard in @tessera/auth) calls: settled without a promise
   * when nothing is to be counted now (a route that skips every throttler, like the health
   * probes, or a credentialed request whose count is deferred); otherwise
   * @nestjs/throttler's own canActivate.
   */
  check(context: ExecutionContext): Promise<boolean> | boolean {
    const plans = this.plansFor(context);
    // An empty plan: every throttler skips this route (the health probes).
    if (plans?.length === 0 || this.defers(context)) return true;
    return plans ? this.count(context, plans) : this.canActivate(context);
  }

  /**
   * What @nestjs/throttler's canActivate works out on every request — six metadata lookups
   * per throttler — read once per route. `undefined` (the library's own path) when a setting is
   * a function of the request or a skipIf is configured.
   */
  private plansFor(context: ExecutionContext): CountPlan[] | undefined {
    return this.meta.memo('tessera:throttler-plans', context, (handler, cls) => {
      const plans: CountPlan[] = [];
      for (const throttler of this.throttlers) {
        if (throttler.skipIf || this.commonOptions.skipIf) return undefined;
        const get = (key: string) => this.reflector.getAllAndOverride<unknown>(`${key}${throttler.name}`, [handler, cls]);
        if (get('THROTTLER:SKIP')) continue;
        const limit = get('THROTTLER:LIMIT') ?? throttler.limit;
        const ttl = get('THROTTLER:TTL') ?? throttler.ttl;
        const blockDuration = get('THROTTLER:BLOCK_DURATION') ?? throttler.blockDuration ?? ttl;
        if (typeof limit !== 'number' || typeof ttl !== 'number' || typeof blockDuration !== 'number') return undefined;
        plans.push({
          throttler,
          limit,
          ttl,
          blockDuration,
          getTracker: (get('THROTTLER:TRACKER') as ThrottlerRequest['getTracker'] | undefined) ?? throttler.getTracker ?? this.commonOptions.getTracker!,
          generateKey: (get('THROTTLER:KEY_GENERATOR') as ThrottlerRequest['generateKey'] | undefined) ?? throttler.generateKey ?? this.commonOptions.generateKey!,
        });
      }
      return plans;
    });
  }

  private async count(context: ExecutionContext, plans: CountPlan[]): Promise<boolean> {
    // handleRequest throws the 429 when a limit is exceeded.
    for (const plan of plans) if (!(await this.handleRequest({ context, ...plan }))) return false;
    return true;
  }

  /**
   * Counts, now, a request that skipped the per-IP limit because it carried a credential,
   * once that credential was refused. Throws the throttler's 429 when the IP is over its
   * limit (so a flood of bad tokens is cut off like any anonymous flood); a no-op for a
   * request that was counted up front.
   */
  countDeferred(context: ExecutionContext): Promise<boolean> | true {
    const request = context.switchToHttp().getRequest<MaybeDeferred>();
    if (request[DEFERRED] !== 'deferred') return true;
    request[DEFERRED] = 'counting';
    return this.canActivate(context);
  }

  private category(context: ExecutionContext): RateLimitCategory | undefined {
    return this.meta.get<RateLimitCategory>(RATE_LIMIT_CATEGORY, context);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    if (this.category(props.context) === 'auth') {
      return super.handleRequest({ ...props, limit: this.config.rateLimit.authPerMinute, ttl: 60_000 });
    }
    return super.handleRequest(props);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return String(req.ip);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.defers(context);
  }

  /** A credential on a route other than the auth ones: counted only if it is refused. */
  private defers(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<MaybeDeferred>();
    if (request[DEFERRED] === 'counting') return false;
    if (request[DEFERRED] === 'deferred') return true;
    if (!request.headers.authorization || this.category(context) === 'auth') return false;
    request[DEFERRED] = 'deferred';
    return true;
  }
}
