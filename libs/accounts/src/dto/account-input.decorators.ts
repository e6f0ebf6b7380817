import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { cleanEmail } from '@tessera/users';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, ValidateBy } from 'class-validator';

/** Longest address we accept: SMTP's path limit (RFC 5321), and what the mail module sends to. */
export const EMAIL_MAX_LENGTH = 254;
export const DISPLAY_NAME_MAX_LENGTH = 200;
/** Link tokens are 43 characters; anything far longer is garbage, refused before any lookup. */
export const LINK_TOKEN_MAX_LENGTH = 512;

/**
 * One plain address and nothing else (no display name, list separator, quote or space):
 * the same rule the mail module applies to recipients, so an address accepted here can
 * always be mailed, and `"a@x, b@y"` can never fan one mail out to two mailboxes.
 */
const PLAIN_ADDRESS = /^[^\s@,;:<>()[\]\\"]+@[^\s@,;:<>()[\]\\"]+$/;

/** Control characters and bidi overrides would let a name forge lines or reorder text in mail. */
const UNSAFE_IN_NAME = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/**
 * An email address from an anonymous form: NFKC-normalised and trimmed first (as stored),
 * then a syntactically valid address with a real-looking domain (a TLD, no IP literal)
 * of at most 254 characters.
 */
export function IsAccountEmail(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ example: 'alice@example.com', maxLength: EMAIL_MAX_LENGTH, format: 'email' }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? cleanEmail(value) : value,
    ),
    IsString(),
    MaxLength(EMAIL_MAX_LENGTH),
    IsEmail({ allow_display_name: false, require_tld: true, allow_ip_domain: false }),
    ValidateBy({
      name: 'isPlainAddress',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || PLAIN_ADDRESS.test(value),
        defaultMessage: () => '$property must be a single plain email address',
      },
    }),
  );
}

/**
 * A person's or organisation's name: trimmed, 1–200 characters (code points, as the
 * database counts them), no control characters or bidi overrides.
 */
export function IsDisplayName(example: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ example, minLength: 1, maxLength: DISPLAY_NAME_MAX_LENGTH }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim() : value,
    ),
    IsString(),
    ValidateBy({
      name: 'isDisplayName',
      constraints: [DISPLAY_NAME_MAX_LENGTH],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return true; // IsString reports it
          const length = [...value].length;
          return length >= 1 && length <= DISPLAY_NAME_MAX_LENGTH && !UNSAFE_IN_NAME.test(value);
        },
        defaultMessage: () =>
          `$property must be 1 to ${DISPLAY_NAME_MAX_LENGTH} characters without control characters`,
      },
    }),
  );
}

/**
 * The token of a mailed link, posted in a body (never read from a URL). Only its type and
 * a length bound are checked here: an unknown or malformed token is the `link-invalid`
 * problem of AccountTokenService, so every bad link gets one documented answer.
 */
export function IsLinkToken(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      description: 'The `token` parameter of the mailed link.',
      maxLength: LINK_TOKEN_MAX_LENGTH,
    }),
    IsString(),
    MaxLength(LINK_TOKEN_MAX_LENGTH),
  );
}
