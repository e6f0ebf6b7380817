import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModuleOptions, ThrottlerRequest, ThrottlerStorage, InjectThrottlerOptions, InjectThrottlerStorage } from '@nestjs/throttler';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { RATE_LIMIT_CATEGORY, RateLimitCategory } from './rate-limit.decorator';

/**
 * @nestjs/throttler's guard, keyed by the client IP that Fastify resolved once from
 * TRUSTED_PROXIES (`request.ip`), with per-category limits taken from configuration.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @InjectConfig() private readonly config: TesseraConfig,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const category = this.reflector.getAllAndOverride<RateLimitCategory | undefined>(RATE_LIMIT_CATEGORY, [
      props.context.getHandler(),
      props.context.getClass(),
    ]);
    if (category === 'auth') {
      return super.handleRequest({ ...props, limit: this.config.rateLimit.authPerMinute, ttl: 60_000 });
    }
    return super.handleRequest(props);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return String(req.ip);
  }

  // Exposed for subclasses/tests; keeps the signature of the base class.
  protected override async shouldSkip(_context: ExecutionContext): Promise<boolean> {
    return false;
  }
}
