import { decodeKeysetCursor, encodeKeysetCursor } from '@tessera/database';
import { InvalidCursorError } from './tenants.errors';

/** A position in a (created_at, id) ordered list. `createdAt` keeps PostgreSQL's microseconds. */
export interface TenantCursor {
  createdAt: string;
  id: string;
}

/** Keyset cursor of the children list; the format and its checks are @tessera/database's. */
export function encodeCursor(cursor: TenantCursor): string {
  return encodeKeysetCursor(cursor.createdAt, cursor.id);
}

export function decodeCursor(value: string): TenantCursor {
  const decoded = decodeKeysetCursor(value);
  if (!decoded) throw new InvalidCursorError();
  return { createdAt: decoded[0], id: decoded[1] };
}
