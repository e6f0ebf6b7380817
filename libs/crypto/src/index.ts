export * from './crypto';
export * from './secret-digest.service';
export * from './crypto.module';
export * from './base62';
export * from './aes-gcm';
