import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { HandlerMetadata, requestContextOf } from '@tessera/http';
import { KeyValueStore, KV_STORE, READ_AHEAD, ReadAheadKeys } from '@tessera/store';
import type { FastifyReply } from 'fastify';
import { ApiRateLimiter, LimitedCaller, rateLimited, rateLimitHeaders } from './api-rate-limiter.service';

/**
 * Runs right after authentication (registered in @tessera/auth's guard chain): the
 * authenticated caller's tenant bucket and, for an API key, S2S token or OAuth client
 * token, its credential bucket. Every answer carries the RateLimit-Policy and RateLimit
 * fields; a refusal is 429 with Retry-After. Public routes and unauthenticated requests
 * are left to the per-IP throttler. The first refusal per bucket and minute is audited
 * (`rate_limit.exceeded`), not every one: a flood must not become a flood of audit rows.
 * The keys a route declares with @ReadAhead are read by the same script once the request is
 * counted, and left in the request context for its handler.
 */
@Injectable()
export class ApiRateLimitGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');

  constructor(
    private readonly limiter: ApiRateLimiter,
    private readonly audit: AuditService,
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    private readonly meta: HandlerMetadata,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const caller = requestContextOf(context)?.principal as (LimitedCaller & { actorId?: string; userId?: string | null }) | undefined;
    if (!caller) return true;
    return this.limit(context, caller);
  }

  private async limit(context: ExecutionContext, caller: LimitedCaller & { actorId?: string; userId?: string | null }): Promise<boolean> {
    const ctx = requestContextOf(context);
    const routeKeys = this.meta.get<ReadAheadKeys>(READ_AHEAD, context)?.(caller);
    // A provisionally accepted credential's keys are read again here, for the access guard to confirm.
    const pending = ctx?.pendingCredential?.keys;
    const readAhead = pending ? [...(routeKeys ?? []), ...pending] : routeKeys;
    const outcome = await this.limiter.takeForCaller(caller, readAhead);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.headers(rateLimitHeaders(outcome));
    if (outcome.allowed) {
      const { reads } = outcome;
      if (ctx && readAhead && reads) ctx.readAhead = new Map(readAhead.map((k, i) => [k, reads[i] ?? null]));
      return true;
    }
    const refused = outcome.names.filter((_, i) => outcome.states[i]!.retryMs > 0);
    const bucket = refused.includes('tenant') ? `tenant:${caller.tenantId}` : `cred:${caller.credentialId}`;
    try {
      if (await this.store.setIfAbsent(`rl-audited:${bucket}`, '1', 60_000)) {
        await this.audit.record({
          action: 'rate_limit.exceeded',
          outcome: 'failure',
          decision: 'deny',
          tenantId: caller.tenantId,
          target: refused.includes('tenant') ? { type: 'tenant', id: caller.tenantId } : { type: caller.kind, id: caller.credentialId },
          params: { limits: refused, policy: outcome.policies.map((p, i) => ({ bucket: outcome.names[i], ...p })) },
          reason: 'api rate limit exhausted (audited once per bucket and minute)',
        });
      }
    } catch (err) {
      this.logger.error({ err }, 'could not audit a rate-limit refusal');
    }
    throw rateLimited(outcome);
  }
}
