export * from './account-token.service';
export * from './accounts.module';
