export * from './account-token.service';
export * from './account-tokens.module';
