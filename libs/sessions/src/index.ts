export * from './session-policy';
export * from './access-token.service';
export * from './token-cache.service';
export * from './session.service';
export * from './brute-force.service';
export * from './login.service';
export * from './sessions.module';
export * from './login-gate';
