import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { RateLimitGuard, RateLimitModule } from '@tessera/rate-limit';
import { AccountEvents } from './account-events';
import { AuthenticationGuard } from './authentication.guard';
import { AuthenticatorRegistry } from './authenticator.registry';
import { RoleGuard } from './role.guard';
import { TenantAccess } from './tenant-access.service';

/**
 * The global guard chain, registered here and only here so its order is readable:
 * throttle → authenticate → role (→ tenant context → permissions, by the RBAC issue).
 */
@Global()
@Module({
  imports: [RateLimitModule, DiscoveryModule],
  providers: [
    AuthenticatorRegistry,
    { provide: APP_GUARD, useExisting: RateLimitGuard },
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: RoleGuard },
    TenantAccess,
    AccountEvents,
  ],
  exports: [AuthenticatorRegistry, TenantAccess, AccountEvents],
})
export class AuthModule {}
