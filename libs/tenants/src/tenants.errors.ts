import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '@tessera/http';

/** The slug (explicit, or reserved) belongs to another tenant somewhere on the platform. */
export class SlugTakenError extends ProblemError {
  constructor(readonly slug: string) {
    super(
      HttpStatus.CONFLICT,
      'slug-taken',
      'Slug taken',
      `The slug "${slug}" is not available; choose another.`,
      { slug },
    );
  }
}

/** New tenants go only under an active parent (not a pending sign-up, not a suspended tenant). */
export class ParentNotActiveError extends ProblemError {
  constructor() {
    super(
      HttpStatus.CONFLICT,
      'parent-not-active',
      'Parent not active',
      'Tenants can only be created under an active tenant.',
    );
  }
}

export class InvalidCursorError extends ProblemError {
  constructor() {
    super(
      HttpStatus.BAD_REQUEST,
      'invalid-cursor',
      'Invalid cursor',
      'The cursor is not one this API returned.',
    );
  }
}

/** For callers that bypass the HTTP DTOs (CLI, other services). */
export class InvalidSlugError extends ProblemError {
  constructor() {
    super(
      HttpStatus.BAD_REQUEST,
      'invalid-slug',
      'Invalid slug',
      'A slug is 1–63 characters of a-z, 0-9 and "-", and neither starts nor ends with "-".',
    );
  }
}

export class InvalidTenantNameError extends ProblemError {
  constructor() {
    super(
      HttpStatus.BAD_REQUEST,
      'invalid-tenant-name',
      'Invalid name',
      'A tenant name is 1–200 characters without control characters.',
    );
  }
}

/**
 * A refusal decided by the tenants service (not by the guards). `reason` goes to the
 * audit row only, never to the caller; the status is 403, or 404 where saying "forbidden"
 * would confirm that a tenant of another tree exists.
 */
export class TenantAccessDeniedError extends ProblemError {
  private constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    readonly reason: string,
    readonly targetId: string | null,
  ) {
    super(status, code, title, detail);
  }

  static asForbidden(
    detail: string,
    reason: string,
    targetId: string | null,
  ): TenantAccessDeniedError {
    return new TenantAccessDeniedError(
      HttpStatus.FORBIDDEN,
      'forbidden',
      'Forbidden',
      detail,
      reason,
      targetId,
    );
  }

  static asNotFound(reason: string, targetId: string | null): TenantAccessDeniedError {
    return new TenantAccessDeniedError(
      HttpStatus.NOT_FOUND,
      'not-found',
      'Not found',
      'The tenant does not exist.',
      reason,
      targetId,
    );
  }
}

export function tenantNotFound(): ProblemError {
  return ProblemError.notFound('The tenant does not exist.');
}
