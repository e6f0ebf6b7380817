import { randomBytes } from 'node:crypto';
import { MemoryStore } from './memory.store';
import { createRedisClient, RedisStore } from './redis.store';
import { StoreUnavailableError } from './store';
import { storeContract } from './store.contract';

storeContract('memory', async () => new MemoryStore());

const describeRedis = process.env.REDIS_URL ? describe : describe.skip;

describeRedis('Redis store', () => {
  storeContract('redis', async () => {
    const s = new RedisStore(createRedisClient(process.env.REDIS_URL!, `tsr-test:${randomBytes(4).toString('hex')}:`));
    await s.connected();
    return s;
  });

  it('fails fast with StoreUnavailableError (503) when Redis is unreachable, never hangs', async () => {
    const s = new RedisStore(createRedisClient('redis://127.0.0.1:1'));
    const started = Date.now();
    await expect(s.get('x')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(s.incrWindow('x', 1000)).rejects.toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
    expect(Date.now() - started).toBeLessThan(3000);
    await s.close();
  });
});
