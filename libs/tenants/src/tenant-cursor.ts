import { isUuid } from '@tessera/database';
import { InvalidCursorError } from './tenants.errors';

/** A position in a (created_at, id) ordered list. `createdAt` keeps PostgreSQL's microseconds. */
export interface TenantCursor {
  createdAt: string;
  id: string;
}

/** UTC, microsecond precision: what `to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` renders. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * Opaque to clients (base64url of JSON), but not trusted: a decoded cursor is checked
 * field by field before it reaches a query. Millisecond JS Dates would lose the
 * microseconds and skip or repeat rows, so the timestamp stays a string.
 */
export function encodeCursor(cursor: TenantCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(value: string): TenantCursor {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(value)) throw new Error('shape');
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw new InvalidCursorError();
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || !TIMESTAMP.test(createdAt) || !isUuid(id))
    throw new InvalidCursorError();
  return { createdAt, id };
}
