export * from './rate-limit.decorator';
export * from './rate-limit.guard';
export * from './fail-closed.storage';
export * from './rate-limit.module';
