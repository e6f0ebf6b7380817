import helmet, { HelmetOptions } from 'helmet';

/** helmet's configuration for the one HTML page we serve: the OpenAPI UI at /docs. */
export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
  },
  strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-site' },
  xFrameOptions: { action: 'deny' },
};

/**
 * The headers helmet sets, computed ONCE by running helmet's own middleware against a
 * recording response. They do not depend on the request, and @fastify/helmet rebuilt them
 * on every request (about 15% of a cheap request's CPU in bench/), so we set the fixed
 * result in an onRequest hook instead. helmet stays the source of truth for the values.
 */
export function computeSecurityHeaders(options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failed: unknown;
  helmet(options)({} as never, res as never, (err?: unknown) => {
    failed = err;
  });
  if (failed) throw failed;
  return headers;
}

/**
 * The headers of every JSON answer (everything but /docs), after the OWASP REST Security
 * Cheat Sheet's list for APIs: a JSON body is never a document, so it gets a CSP that
 * allows nothing and may not be framed, is never sniffed, cached or sent over plain HTTP
 * again. helmet's HTML-page extras (X-DNS-Prefetch-Control, X-Download-Options,
 * Origin-Agent-Cluster, COOP, …) mean nothing for JSON and tripled the response size of a
 * cheap request; they stay on /docs. Routes that may be cached (JWKS, discovery) set their
 * own Cache-Control, which replaces this one.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
});

/** Which fixed header set a URL gets: helmet's for the /docs UI, the API set for the rest. */
export function securityHeadersFor(
  docs: Readonly<Record<string, string>> = computeSecurityHeaders(),
  api: Readonly<Record<string, string>> = API_SECURITY_HEADERS,
): (url: string) => Readonly<Record<string, string>> {
  return (url) => (url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?') ? docs : api);
}
