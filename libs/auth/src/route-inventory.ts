import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_RULE, AccessRule } from './access.decorators';
import { IS_PUBLIC } from './public.decorator';

export interface RouteEntry {
  method: string;
  path: string;
  /** `public`, `undeclared`, or `<permissions> [<credential types>]`. */
  access: string;
}

function describeRule(rule: AccessRule): string {
  return `${rule.permissions.join(' + ')} (tier ${rule.tier}) [${rule.credentials.join('|')}]`;
}

/** Metadata keys whose presence counts as an access declaration on a route. */
export const ACCESS_DECLARATION_KEYS: string[] = [IS_PUBLIC];

function joinPath(...parts: (string | undefined)[]): string {
  const p = parts
    .filter((x): x is string => !!x && x !== '/')
    .map((x) => x.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${p}`;
}

/**
 * Every route of an application with its access declaration, from Nest's own metadata.
 * The route inventory test snapshots this list.
 */
export function listRoutes(app: INestApplication, describe?: (handler: object, controller: object) => string | undefined): RouteEntry[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: RouteEntry[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    const cls = wrapper.metatype as object | undefined;
    if (!instance || !cls) continue;
    const base = Reflect.getMetadata(PATH_METADATA, cls) as string | string[] | undefined;
    const proto = Object.getPrototypeOf(instance) as Record<string, object>;
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue;
      const isPublic = reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [handler as never, cls as never]);
      const rule = reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler as never, cls as never]);
      const declared = describe?.(handler, cls) ?? (rule ? describeRule(rule) : undefined);
      for (const b of [base].flat()) {
        for (const p of [path].flat()) {
          routes.push({
            method: RequestMethod[method],
            path: joinPath(b, p),
            access: declared ?? (isPublic ? 'public' : 'undeclared'),
          });
        }
      }
    }
  }
  return routes.sort((a, b) => (a.path + a.method).localeCompare(b.path + b.method));
}
