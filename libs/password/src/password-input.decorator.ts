import { IsNotEmpty, IsString, ValidateBy } from 'class-validator';
import { PASSWORD_MAX_LENGTH } from './password.constants';
import { normalizeWithinLimit } from './password-text.util';

export interface PasswordInputOptions {
  /** Accept an empty string (default: refused). */
  allowEmpty?: boolean;
}

/**
 * At most PASSWORD_MAX_LENGTH code points after NFKC, measured exactly as the hasher
 * measures, so anything the DTO lets through the hasher accepts and vice versa. (The
 * built-in MaxLength counts differently: it also discounts variation selectors.)
 */
function MaxPasswordLength(): PropertyDecorator {
  return ValidateBy({
    name: 'maxPasswordLength',
    constraints: [PASSWORD_MAX_LENGTH],
    validator: {
      // A non-string is IsString's to report; one message per problem.
      validate: (value: unknown) =>
        typeof value !== 'string' || normalizeWithinLimit(value) !== null,
      defaultMessage: () => `$property must be at most ${PASSWORD_MAX_LENGTH} characters`,
    },
  });
}

/**
 * A password field of a request DTO: a string of at most PASSWORD_MAX_LENGTH code points,
 * non-empty unless allowed. The global ValidationPipe then answers 400 before any hashing,
 * and its messages never echo the value.
 */
export function IsPasswordInput(options: PasswordInputOptions = {}): PropertyDecorator {
  const decorators = [IsString(), MaxPasswordLength()];
  if (!options.allowEmpty) decorators.push(IsNotEmpty());
  return (target, propertyKey) => {
    for (const decorate of decorators) decorate(target, propertyKey);
  };
}
