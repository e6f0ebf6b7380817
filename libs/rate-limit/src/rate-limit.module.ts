import { Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerStorageService } from '@nestjs/throttler';
import { TesseraConfig, TESSERA_CONFIG } from '@tessera/config';
import { HandlerMetadata } from '@tessera/http';
import { REDIS_CLIENT } from '@tessera/store';
import type Redis from 'ioredis';
import { EvalShaThrottlerStorage } from './evalsha-throttler.storage';
import { FailClosedThrottlerStorage } from './fail-closed.storage';
import { ApiRateLimitGuard } from './api-rate-limit.guard';
import { ApiRateLimiter } from './api-rate-limiter.service';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * Per-IP limits before authentication (RateLimitGuard) and per-tenant / per-credential API
 * limits after it (ApiRateLimitGuard, ApiRateLimiter). Redis-backed limits shared by every instance (@nest-lab/throttler-storage-redis: an
 * atomic Lua script per hit, sent by SHA); in-process counters in the embedded default.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [TESSERA_CONFIG, REDIS_CLIENT],
      useFactory: (config: TesseraConfig, redis: Redis | null) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.rateLimit.defaultPerMinute }],
        storage: new FailClosedThrottlerStorage(redis ? new EvalShaThrottlerStorage(redis) : new ThrottlerStorageService()),
      }),
    }),
  ],
  // HandlerMetadata: route metadata read once per route, for these guards and the rest of
  // the chain in @tessera/auth (which imports this module).
  providers: [RateLimitGuard, ApiRateLimiter, ApiRateLimitGuard, HandlerMetadata],
  exports: [RateLimitGuard, ApiRateLimiter, ApiRateLimitGuard, ThrottlerModule, HandlerMetadata],
})
export class RateLimitModule {}
