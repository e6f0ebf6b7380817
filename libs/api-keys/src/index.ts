export * from './api-key-format';
export * from './api-keys.errors';
export * from './scopes';
export * from './last-used.recorder';
export * from './api-key.authenticator';
export * from './api-keys.service';
export * from './api-keys.module';
export { ApiKeyDto, ApiKeyWithSecretDto, DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS } from './dto/api-key.dto';
