import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '@tessera/http';

/** Every problem the RBAC routes return; each `code` is a problem type listed in the README. */
export const RbacErrors = {
  roleNotFound: () => ProblemError.notFound('No such role in this tenant.'),
  unknownPermissions: (permissions: string[]) =>
    ProblemError.badRequest(
      'unknown-permission',
      'Unknown permission',
      'These permissions are not in the registry (GET /v1/permissions).',
      { permissions },
    ),
  tier4NotAllowed: (permissions: string[]) =>
    ProblemError.badRequest(
      'tier4-not-allowed',
      'Tier 4 permission in a custom role',
      'Tier 4 permissions belong to general roles only and cannot be put in a custom task role.',
      { permissions },
    ),
  permissionNotHeld: (permissions: string[]) =>
    new ProblemError(
      HttpStatus.FORBIDDEN,
      'permission-not-held',
      'Permission not held',
      'You cannot grant, change or take away permissions you do not hold yourself.',
      {
        permissions,
      },
    ),
  nameReserved: () =>
    ProblemError.badRequest(
      'role-name-reserved',
      'Reserved role name',
      'This name belongs to a built-in role.',
    ),
  nameTaken: () =>
    ProblemError.conflict(
      'role-name-taken',
      'Role name taken',
      'This tenant already has a role with this name.',
    ),
  unknownRoles: (roles: string[]) =>
    ProblemError.badRequest(
      'unknown-role',
      'Unknown role',
      'These task roles are neither built in nor defined in the user’s tenant.',
      { roles },
    ),
  cannotChangeOwnRoles: () =>
    ProblemError.conflict(
      'cannot-target-self',
      'Cannot target yourself',
      'You cannot change your own roles; ask another administrator.',
    ),
};
