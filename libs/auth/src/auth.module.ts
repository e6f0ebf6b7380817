import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { RateLimitGuard, RateLimitModule } from '@tessera/rate-limit';
import { AuthenticationGuard } from './authentication.guard';
import { AuthenticatorRegistry } from './authenticator.registry';

/**
 * The global guard chain, registered here and only here so its order is readable:
 * throttle → authenticate (→ tenant context → permissions, added by later modules).
 */
@Global()
@Module({
  imports: [RateLimitModule, DiscoveryModule],
  providers: [
    AuthenticatorRegistry,
    { provide: APP_GUARD, useExisting: RateLimitGuard },
    { provide: APP_GUARD, useClass: AuthenticationGuard },
  ],
  exports: [AuthenticatorRegistry],
})
export class AuthModule {}
