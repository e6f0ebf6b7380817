import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';

/**
 * A person's display name: trimmed, 1 to 200 characters (the column's limit), no control
 * characters (names are printed in mail and logs).
 */
export const IsUserName = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim() : value,
    ),
    IsString(),
    Length(1, 200),
    Matches(/^[^\p{Cc}]*$/u, { message: '$property must not contain control characters' }),
  );
