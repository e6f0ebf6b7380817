import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '@tessera/http';

/**
 * The users module's expected failures, each with a stable problem code (the problem
 * `type` is `urn:tessera:problem:<code>`). Listed in libs/users/README.md.
 */
export const UsersErrors = {
  /** Unknown id, or a user of a tenant the caller cannot act in: the two are indistinguishable. */
  notFound: () => ProblemError.notFound('The user does not exist.'),

  tenantNotFound: () =>
    new ProblemError(
      HttpStatus.NOT_FOUND,
      'tenant-not-found',
      'Tenant not found',
      'The tenant does not exist.',
    ),

  tenantNotAllowed: () => ProblemError.forbidden('You cannot act in this tenant.'),

  tenantSuspended: () =>
    new ProblemError(
      HttpStatus.CONFLICT,
      'tenant-suspended',
      'Tenant suspended',
      'Users cannot be invited into a suspended tenant.',
    ),

  /**
   * The email already belongs to an account somewhere on the platform (emails are unique
   * platform-wide). An admin learns that the account exists; Keycloak's admin API says the same.
   */
  emailTaken: () =>
    new ProblemError(
      HttpStatus.CONFLICT,
      'email-taken',
      'Email already registered',
      'An account with this email address already exists.',
    ),

  emailDomainNotAllowed: () =>
    ProblemError.badRequest(
      'email-domain-not-allowed',
      'Email domain not allowed',
      'This tenant only accepts email addresses in the domains listed in its settings.',
    ),

  roleNotAllowed: (detail: string) =>
    new ProblemError(HttpStatus.FORBIDDEN, 'role-not-allowed', 'Role not allowed', detail),

  targetRoleTooHigh: () =>
    new ProblemError(
      HttpStatus.FORBIDDEN,
      'target-role-too-high',
      'Forbidden',
      'You cannot manage a user whose role is above yours.',
    ),

  cannotTargetSelf: () =>
    new ProblemError(
      HttpStatus.CONFLICT,
      'cannot-target-self',
      'Cannot target yourself',
      'You cannot disable or delete your own account.',
    ),

  lastAdmin: () =>
    new ProblemError(
      HttpStatus.CONFLICT,
      'last-admin',
      'Last administrator',
      'This is the last active administrator of the tenant; appoint another one first.',
    ),

  notPending: () =>
    new ProblemError(
      HttpStatus.CONFLICT,
      'user-not-pending',
      'User is not pending',
      'Only a user who has not activated the account can be re-invited.',
    ),

  invalidCursor: () =>
    ProblemError.badRequest(
      'invalid-cursor',
      'Invalid cursor',
      'The cursor is not one this API returned.',
    ),

  /** 400, not 401/403: the caller is authenticated; a form field is wrong (see README). */
  invalidCurrentPassword: () =>
    ProblemError.badRequest(
      'invalid-current-password',
      'Current password is wrong',
      'The current password is not correct.',
    ),

  tooManyAttempts: (retryAfterSeconds: number) =>
    new ProblemError(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate-limited',
      'Too many requests',
      'Too many attempts; retry after the time given in Retry-After.',
      {},
      { 'Retry-After': String(Math.max(1, retryAfterSeconds)) },
    ),

  passwordChangedConcurrently: () =>
    new ProblemError(
      HttpStatus.CONFLICT,
      'conflict',
      'Conflict',
      'The password was changed by another request; try again.',
    ),
};
