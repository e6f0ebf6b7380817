import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TesseraConfig, TESSERA_CONFIG } from '@tessera/config';
import type Redis from 'ioredis';
import { MemoryStore } from './memory.store';
import { createRedisClient, RedisStore } from './redis.store';
import { KeyValueStore, KV_STORE } from './store';

/** The raw ioredis client, or null in the embedded (in-memory) mode. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

@Global()
@Module({
  providers: [
    {
      provide: KV_STORE,
      inject: [TESSERA_CONFIG],
      useFactory: async (config: TesseraConfig): Promise<KeyValueStore> => {
        if (config.redis.mode === 'memory') return new MemoryStore();
        const store = new RedisStore(createRedisClient(config.redis.url!, config.redis.prefix));
        try {
          await store.connected();
        } catch {
          // Start anyway: readiness reports it and every dependent route answers 503.
          new Logger('Store').error('Redis is not reachable at start-up; dependent routes will answer 503');
        }
        return store;
      },
    },
    {
      provide: REDIS_CLIENT,
      inject: [KV_STORE],
      useFactory: (store: KeyValueStore): Redis | null => (store instanceof RedisStore ? store.client : null),
    },
  ],
  exports: [KV_STORE, REDIS_CLIENT],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(KV_STORE) private readonly store: KeyValueStore) {}

  async onApplicationShutdown() {
    await this.store.close();
  }
}
