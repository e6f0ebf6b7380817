export * from './public.decorator';
export * from './principal';
export * from './authenticator.registry';
export * from './authentication.guard';
export * from './route-inventory';
export * from './auth.module';
