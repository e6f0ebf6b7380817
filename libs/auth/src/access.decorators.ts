import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ProblemError, requestContextOf } from '@tessera/http';
import { Permission, PERMISSIONS, RiskTier, tierOf } from './permissions';
import { CREDENTIAL_TYPES, CredentialKind, Principal, UserPrincipal } from './principal';

export const ACCESS_RULE = 'tessera:access-rule';

/** What a route requires: all of `permissions`, through one of `credentials`. */
export interface AccessRule {
  permissions: Permission[];
  credentials: CredentialKind[];
  /** Highest tier among the permissions (0 for none): drives step-up and the delegated-credential refusal. */
  tier: RiskTier | 0;
}

export interface AccessOptions {
  /** Credential types accepted (default: all). E.g. `['session']` for changing one's password. */
  credentials?: readonly CredentialKind[];
}

/**
 * The one access declaration of a non-public route: the permissions the caller must hold
 * (all of them) and the credential types it may use. It declares the OpenAPI security,
 * `x-permissions` and `x-credential-types` from the same values the guard enforces, so
 * docs and enforcement cannot drift.
 *
 *   @RequirePermissions('users:read')
 *   @RequirePermissions('self:write', { credentials: ['session'] })
 */
export function RequirePermissions(...args: (Permission | AccessOptions)[]) {
  const permissions = args.filter((a): a is Permission => typeof a === 'string');
  const options = (args.find((a) => typeof a === 'object') ?? {}) as AccessOptions;
  for (const p of permissions) if (!(p in PERMISSIONS)) throw new Error(`unknown permission ${p}`);
  if (!permissions.length) throw new Error('RequirePermissions needs at least one permission');
  const credentials = [...(options.credentials ?? CREDENTIAL_TYPES)];
  const tier = Math.max(0, ...permissions.map(tierOf)) as RiskTier | 0;
  const rule: AccessRule = { permissions, credentials, tier };
  const described = `${permissions.join(', ')} (tier ${tier}); credentials: ${credentials.join(', ')}`;
  return applyDecorators(
    SetMetadata(ACCESS_RULE, rule),
    ApiBearerAuth('bearer'),
    ApiExtension('x-permissions', permissions),
    ApiExtension('x-credential-types', credentials),
    ApiExtension('x-risk-tier', tier),
    ApiUnauthorizedResponse({ description: 'Not authenticated (problem+json, WWW-Authenticate)' }),
    ApiForbiddenResponse({ description: `Requires ${described}` }),
  );
}

/** The authenticated principal of this request (set by the authentication guard). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal => {
    const principal = requestContextOf(ctx)?.principal as Principal | undefined;
    if (!principal) throw ProblemError.unauthorized();
    return principal;
  },
);

/**
 * The principal of a route declared `{ credentials: ['session'] }`: a person with a session.
 * The guard has already refused every other credential; this only narrows the type.
 */
export const CurrentSession = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): UserPrincipal => {
    const principal = requestContextOf(ctx)?.principal as Principal | undefined;
    if (!principal) throw ProblemError.unauthorized();
    if (principal.kind !== 'session')
      throw ProblemError.forbidden('This operation needs a signed-in person.');
    return principal;
  },
);
