import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

const NONE = Symbol('none');

type Handler = ReturnType<ExecutionContext['getHandler']>;
type Controller = ReturnType<ExecutionContext['getClass']>;

/**
 * Route metadata (`Reflector.getAllAndOverride` over the handler, then its class), read once
 * per route and key instead of on every request: Reflector walks the metadata maps each
 * time, and the guard chain asks several keys per request. Metadata is fixed once the app
 * is built, so the cache never goes stale.
 */
@Injectable()
export class HandlerMetadata {
  private readonly byKey = new Map<string, WeakMap<object, WeakMap<object, unknown>>>();

  constructor(private readonly reflector: Reflector) {}

  get<T>(key: string, context: ExecutionContext): T | undefined {
    return this.memo(key, context, (handler, cls) => this.reflector.getAllAndOverride<T | undefined>(key, [handler, cls]));
  }

  /**
   * Anything worked out from a route's metadata alone, computed once per route under `key`
   * (e.g. the per-IP throttler's settings for the route).
   */
  memo<T>(key: string, context: ExecutionContext, compute: (handler: Handler, cls: Controller) => T): T {
    const handler = context.getHandler();
    const cls = context.getClass();
    let byHandler = this.byKey.get(key);
    if (!byHandler) this.byKey.set(key, (byHandler = new WeakMap()));
    // A handler inherited by two controller classes can see different class metadata.
    let byClass = byHandler.get(handler);
    if (!byClass) byHandler.set(handler, (byClass = new WeakMap()));
    let value = byClass.get(cls);
    if (value === undefined) {
      value = compute(handler, cls) ?? NONE;
      byClass.set(cls, value);
    }
    return (value === NONE ? undefined : value) as T;
  }
}
