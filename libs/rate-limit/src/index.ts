export * from './rate-limit.decorator';
export * from './rate-limit.guard';
export * from './fail-closed.storage';
export * from './token-bucket';
export * from './api-rate-limiter.service';
export * from './api-rate-limit.guard';
export * from './rate-limit.module';
