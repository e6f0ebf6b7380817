import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '@tessera/http';

/** Every problem the API-key and S2S-token routes return; each `code` is listed in the README. */
export const ApiKeysErrors = {
  notFound: () => ProblemError.notFound('No such key in this tenant.'),
  unknownScopes: (scopes: string[]) =>
    ProblemError.badRequest('unknown-scope', 'Unknown scope', 'Scopes are permissions from the registry (GET /v1/permissions) or read, write, execute (ai:read, ai:write, ai:execute).', {
      scopes,
    }),
  scopeNotDelegable: (scopes: string[]) =>
    ProblemError.badRequest('scope-not-delegable', 'Scope not delegable', 'Tier 4 permissions are never granted to a delegated credential.', { scopes }),
  scopeNotHeld: (scopes: string[]) =>
    new ProblemError(HttpStatus.FORBIDDEN, 'scope-exceeds-permissions', 'Scope exceeds permissions', 'A credential cannot carry permissions its owner (or you) do not hold.', {
      scopes,
    }),
  scopeExceedsRole: (scopes: string[]) =>
    ProblemError.badRequest('scope-exceeds-role', 'Scope exceeds role', 'These permissions are not part of the integration’s role.', { scopes }),
  roleTooHigh: () => new ProblemError(HttpStatus.FORBIDDEN, 'role-too-high', 'Role too high', 'A credential never acts with a role above your own.'),
  ownerRoleTooHigh: () =>
    new ProblemError(HttpStatus.FORBIDDEN, 'target-role-too-high', 'Target role too high', 'You cannot manage the credentials of a user whose role is above your own.'),
  manageRequired: () =>
    new ProblemError(HttpStatus.FORBIDDEN, 'forbidden', 'Forbidden', "Other users' API keys need the api_keys:manage permission."),
  ownerNotActive: () => ProblemError.conflict('owner-not-active', 'Owner not active', 'Only an active user can own a credential.'),
  revoked: () => ProblemError.conflict('key-revoked', 'Key revoked', 'A revoked key cannot be rotated; create a new one.'),
  expiryInPast: () =>
    ProblemError.badRequest('validation-failed', 'The request is not valid', 'expiresAt must be in the future.', {
      errors: [{ field: 'expiresAt', messages: ['expiresAt must be in the future'] }],
    }),
  invalidCursor: () =>
    ProblemError.badRequest('validation-failed', 'The request is not valid', 'The cursor is not valid.', {
      errors: [{ field: 'cursor', messages: ['cursor is not valid'] }],
    }),
  systemAdminOnlyInPlatform: () =>
    new ProblemError(HttpStatus.FORBIDDEN, 'role-too-high', 'Role too high', 'An integration with the system_admin role exists only in the platform tenant.'),
  tenantNotAllowed: () => ProblemError.forbidden('You cannot act in this tenant.'),
};
