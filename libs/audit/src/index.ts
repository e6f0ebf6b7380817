export * from './audit.types';
export * from './audit.service';
export * from './audit-chain';
export * from './audit.module';
