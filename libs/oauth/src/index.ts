export * from './oauth.errors';
export * from './client-format';
export * from './client-authentication.service';
export * from './oauth-tokens.service';
export * from './oauth-clients.service';
export * from './oauth.module';
