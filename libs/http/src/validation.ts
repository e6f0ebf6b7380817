import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ProblemError } from './problem';

export interface FieldError {
  field: string;
  messages: string[];
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Whitelist + forbid unknown + transform; failures become one `validation-failed` problem. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // Messages never echo the submitted value (it may be a password).
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      ProblemError.badRequest('validation-failed', 'The request is not valid', 'One or more fields are invalid.', {
        errors: flatten(errors),
      }),
  });
}
