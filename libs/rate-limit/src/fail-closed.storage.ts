import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { StoreUnavailableError } from '@tessera/store';

/** A limiter that cannot count refuses (503 + Retry-After); it never lets requests through. */
export class FailClosedThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly inner: ThrottlerStorage) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, name: string): Promise<ThrottlerStorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, name);
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
  }
}
