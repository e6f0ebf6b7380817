import { AsyncLocalStorage } from 'node:async_hooks';

/** What every audit row, log line and rate-limit key needs to know about the current request. */
export interface RequestContext {
  requestId: string;
  /** Resolved once from TRUSTED_PROXIES by Fastify (`request.ip`); never re-parsed elsewhere. */
  ip: string;
  userAgent?: string;
  method: string;
  /** Route pattern (`/v1/users/:id`), not the raw URL: bounded and free of ids/tokens. */
  route?: string;
  /** Filled in by the authentication guard once it knows the caller. */
  principal?: unknown;
  tenantId?: string;
  /**
   * The tenant this request acts in, set by the tenant-context guard: the caller's own, or
   * the `tenantId` it named (path parameter or query) once the guard allowed it.
   */
  actingTenantId?: string;
  /** Tenant-reach answers already computed in this request (TenantAccess memo). */
  tenantReach?: Map<string, boolean>;
  /** Store values read ahead for the handler (@ReadAhead in @tessera/store), null = missing. */
  readAhead?: Map<string, string | null>;
  /**
   * A credential accepted on what this instance last read of it: the store keys it was
   * decided on and the values they had. The bucket script reads the keys again (read-ahead)
   * and the access guard compares before anything else trusts the principal; any
   * difference means authenticating again, the full way (AuthenticationGuard.confirm).
   */
  pendingCredential?: { keys: string[]; values: (string | null)[] };
}

const storage = new AsyncLocalStorage<RequestContext>();

export const RequestContextStore = {
  run<T>(ctx: RequestContext, fn: () => T): T {
    return storage.run(ctx, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
};

/**
 * The context of the request a guard or parameter decorator is handling, read from the
 * request itself (the same object the store holds): no async-context lookup on the hot path.
 */
export function requestContextOf(context: { switchToHttp(): { getRequest<T>(): T } }): RequestContext | undefined {
  return context.switchToHttp().getRequest<{ tessera?: RequestContext | null }>().tessera ?? undefined;
}
