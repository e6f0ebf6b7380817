export * from './store';
export * from './memory.store';
export * from './redis.store';
export * from './store.module';
export * from './versioned-cache';
export * from './read-ahead';
