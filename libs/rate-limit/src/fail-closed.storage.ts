import { OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { StoreUnavailableError } from '@tessera/store';

/** A limiter that cannot count refuses (503 + Retry-After); it never lets requests through. */
export class FailClosedThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  constructor(private readonly inner: ThrottlerStorage) {}

  /** The in-memory storage holds timers; let it clear them when the app stops. */
  onApplicationShutdown(): void {
    const inner = this.inner as Partial<OnApplicationShutdown & OnModuleDestroy>;
    void inner.onApplicationShutdown?.();
    void inner.onModuleDestroy?.();
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, name: string): Promise<ThrottlerStorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, name);
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
  }
}
