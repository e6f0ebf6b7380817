import { isUuid } from './tenant-db.service';

/** UTC, microsecond precision: what `to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` renders. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * Keyset pagination cursors over (timestamp, id): opaque to clients (base64url of JSON),
 * but never trusted — a decoded cursor is checked field by field before it reaches a
 * query. The timestamp stays a microsecond string: a JS Date would lose the microseconds
 * and skip or repeat rows.
 */
export function encodeKeysetCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

/** The (timestamp, id) pair, or null for anything malformed (the caller answers 400). */
export function decodeKeysetCursor(value: string): [at: string, id: string] | null {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(value)) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && TIMESTAMP.test(parsed[0]) && isUuid(parsed[1])) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // malformed JSON: same answer as any other malformed cursor
  }
  return null;
}
