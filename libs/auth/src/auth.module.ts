import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { RateLimitModule } from '@tessera/rate-limit';
import { AccessDenials } from './access-denials';
import { AccountEvents } from './account-events';
import { AuthenticationGuard } from './authentication.guard';
import { AccessGuard } from './access.guard';
import { AuthenticatorRegistry } from './authenticator.registry';
import { AuthorizationCache } from './authorization-cache.service';
import { PermissionGuard } from './permission.guard';
import { StepUpPolicy } from './step-up.policy';
import { TenantAccess } from './tenant-access.service';
import { TenantContextGuard } from './tenant-context.guard';

/**
 * The global guard chain, registered here and only here so its order is readable:
 * throttle (per IP) → authenticate → API limits (per tenant, per credential) → tenant
 * context → permissions and risk tier.
 */
@Global()
@Module({
  imports: [RateLimitModule, DiscoveryModule],
  providers: [
    AuthenticatorRegistry,
    // One global guard running the chain in order (see AccessGuard); API limits (per tenant
    // and per API key / S2S token / OAuth client) need the authenticated caller.
    { provide: APP_GUARD, useClass: AccessGuard },
    AuthenticationGuard,
    TenantContextGuard,
    PermissionGuard,
    TenantAccess,
    AccountEvents,
    AccessDenials,
    AuthorizationCache,
    StepUpPolicy,
  ],
  exports: [AuthenticatorRegistry, TenantAccess, AccountEvents, AccessDenials, AuthorizationCache, StepUpPolicy],
})
export class AuthModule {}
