import { SetMetadata } from '@nestjs/common';
import { RequestContextStore } from '@tessera/http';

export const READ_AHEAD = 'tessera:store-read-ahead';

/** The store keys a route's handler will read, worked out from the authenticated caller. */
export type ReadAheadKeys = (principal: unknown) => readonly string[];

/**
 * Declares the store keys a route's handler reads, so they travel in a round trip the
 * request makes anyway: the per-tenant / per-credential bucket script (@tessera/rate-limit)
 * reads them after counting the request, and the handler takes them from the request
 * instead of asking the store again. Only for data that decides nothing about access
 * (display data): the values are as fresh as a read a few microseconds later would be, and
 * a handler that finds nothing read ahead asks the store itself (in-process store, a 429).
 */
export const ReadAhead = <P>(keys: (principal: P) => readonly string[]) => SetMetadata(READ_AHEAD, keys as ReadAheadKeys);

/**
 * The values read ahead for these keys in the current request — each handed out once — or
 * undefined when any of them was not read ahead (then ask the store).
 */
export function takeReadAhead(keys: readonly string[]): (string | null)[] | undefined {
  const ahead = RequestContextStore.current()?.readAhead;
  if (!ahead) return undefined;
  const out: (string | null)[] = [];
  for (const k of keys) {
    const v = ahead.get(k);
    if (v === undefined) return undefined;
    out.push(v);
  }
  for (const k of keys) ahead.delete(k);
  return out;
}
