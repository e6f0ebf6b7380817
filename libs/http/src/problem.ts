import { HttpStatus } from '@nestjs/common';

/** RFC 9457 problem types are URNs of this form; each code is listed in the README. */
export const PROBLEM_TYPE_PREFIX = 'urn:tessera:problem:';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/**
 * The one error type modules throw for an expected failure. `code` is stable and
 * becomes the problem `type`; `extensions` are extra members of the body (never
 * secrets, never internals). Modules subclass it or call the static helpers.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }

  static badRequest(code: string, title: string, detail?: string, ext?: Record<string, unknown>) {
    return new ProblemError(HttpStatus.BAD_REQUEST, code, title, detail, ext);
  }
  static notFound(detail = 'The resource does not exist.') {
    return new ProblemError(HttpStatus.NOT_FOUND, 'not-found', 'Not found', detail);
  }
  static forbidden(detail = 'You are not allowed to do this.', code = 'forbidden') {
    return new ProblemError(HttpStatus.FORBIDDEN, code, 'Forbidden', detail);
  }
  static conflict(code: string, title: string, detail?: string) {
    return new ProblemError(HttpStatus.CONFLICT, code, title, detail);
  }
  static unauthorized(detail = 'Authentication is required.', wwwAuthenticate = 'Bearer realm="tessera"', code = 'unauthorized') {
    return new ProblemError(HttpStatus.UNAUTHORIZED, code, 'Unauthorized', detail, {}, {
      'WWW-Authenticate': wwwAuthenticate,
    });
  }
  static unavailable(detail: string, retryAfterSeconds = 5) {
    return new ProblemError(HttpStatus.SERVICE_UNAVAILABLE, 'service-unavailable', 'Service unavailable', detail, {}, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

export function problemType(code: string): string {
  return PROBLEM_TYPE_PREFIX + code;
}
