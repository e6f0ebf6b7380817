export * from './user.entity';
export * from './email';
export * from './users.module';
