import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ProblemError, RequestContextStore } from '@tessera/http';
import { Principal } from './principal';
import { GeneralRole } from './roles';

export const REQUIRED_ROLE = 'tessera:required-role';

/**
 * Any authenticated caller may use the route (e.g. /v1/me). Declares the OpenAPI
 * security with the access rule, so docs and enforcement cannot drift.
 */
export const Authenticated = () =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE, 'member'),
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({ description: 'Not authenticated (problem+json, WWW-Authenticate)' }),
  );

/**
 * The caller's general role must be at least `role` (hierarchy in DESIGN.md). Until the
 * RBAC issue moves routes onto permissions, this is the access declaration of admin routes.
 */
export const RequireRole = (role: GeneralRole) =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({ description: 'Not authenticated' }),
    ApiForbiddenResponse({ description: `Requires the ${role} role or above` }),
  );

/** The authenticated principal of this request (set by the authentication guard). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, _ctx: ExecutionContext): Principal => {
  const principal = RequestContextStore.current()?.principal as Principal | undefined;
  if (!principal) throw ProblemError.unauthorized();
  return principal;
});
