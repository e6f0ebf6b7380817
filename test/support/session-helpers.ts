import { createHmac, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, sign as cryptoSign } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, JWTPayload, ProtectedHeaderParameters } from 'jose';
import { sql, TestApp } from './app';

/**
 * Helpers for the Sessions specs: log in over HTTP, decode tokens, and forge tokens the
 * way an attacker would (alg none, HS256 keyed with our public key, their own ES256 key
 * with any header). Forging is done by hand with node:crypto so that no library can
 * "helpfully" refuse to build a hostile token.
 */

type Http = TestApp['http'];

export interface TokenPairBody {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export function uniqueLoginEmail(prefix = 'sess'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.test`;
}

/** Random, long and free of any name or address. */
export function loginPassword(): string {
  return `Lg7-${randomBytes(12).toString('base64url')}`;
}

export const loginRequest = (http: Http, body: Record<string, unknown>) => http.post('/v1/auth/login').send(body);

/** Logs in and insists on success; returns the token pair. */
export async function login(http: Http, email: string, password: string, tenant?: string): Promise<TokenPairBody> {
  const res = await loginRequest(http, tenant === undefined ? { email, password } : { email, password, tenant });
  if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TokenPairBody;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const jwtHeader = (token: string): ProtectedHeaderParameters => decodeProtectedHeader(token);
export const jwtClaims = (token: string): JWTPayload & Record<string, unknown> => decodeJwt(token);

// ---------------------------------------------------------------------------------------
// Forging
// ---------------------------------------------------------------------------------------

export function b64url(value: string | Buffer | object): string {
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

/** `base64url(header).base64url(payload)`: what a JWS signs. */
export function signingInput(header: object, payload: object | string): string {
  return `${b64url(header)}.${b64url(payload)}`;
}

/** alg none: an unsecured JWT, its signature part empty (or `signature` when given). */
export function forgeNone(header: object, payload: object, signature = ''): string {
  return `${signingInput({ alg: 'none', ...header }, payload)}.${signature}`;
}

/** HS256 keyed with any bytes, e.g. our public key (the classic alg-confusion attack). */
export function forgeHs256(header: object, payload: object, secret: string | Buffer): string {
  const input = signingInput({ alg: 'HS256', ...header }, payload);
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A fresh P-256 key pair of the attacker's, with its public JWK. */
export function attackerKey(): { privateKey: KeyObject; publicJwk: { kty: string; crv: string; x: string; y: string } } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! } };
}

/** ES256 with any key and any header (alg defaults to ES256 but may be overridden). */
export function forgeEs256(header: object, payload: object | string, privateKey: KeyObject): string {
  const input = signingInput({ alg: 'ES256', ...header }, payload);
  const sig = cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/** A real token with its payload replaced (the signature is kept, so it no longer matches). */
export function tamperPayload(token: string, change: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64url(change({ ...jwtClaims(token) }))}.${s}`;
}

/** A real token with its protected header replaced (signature kept). */
export function tamperHeader(token: string, change: (header: Record<string, unknown>) => Record<string, unknown>): string {
  const [, p, s] = token.split('.');
  return `${b64url(change({ ...jwtHeader(token) }))}.${p}.${s}`;
}

export interface PublishedKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: string;
  use: string;
}

export async function fetchJwks(http: Http): Promise<{ keys: PublishedKey[] }> {
  const res = await http.get('/.well-known/jwks.json');
  if (res.status !== 200) throw new Error(`JWKS: ${res.status}`);
  return res.body as { keys: PublishedKey[] };
}

/** The SPKI PEM of a published public JWK: what a confused verifier would use as HMAC secret. */
export function publicJwkToPem(jwk: PublishedKey): string {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

// ---------------------------------------------------------------------------------------
// Outbound-fetch trap and database helpers
// ---------------------------------------------------------------------------------------

/** A tiny HTTP server that records every request it receives (it should receive none). */
export class FetchTrap {
  private constructor(
    private readonly server: Server,
    readonly requests: { method?: string; url?: string }[],
  ) {}

  static async start(): Promise<FetchTrap> {
    const requests: FetchTrap['requests'] = [];
    const server = createServer((req: IncomingMessage, res) => {
      requests.push({ method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"keys":[]}');
    });
    const trap = new FetchTrap(server, requests);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return trap;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function auditRowsOfRequest(requestId: string) {
  return sql<Record<string, unknown>>(`select * from audit_events where request_id = $1 order by occurred_at, seq`, [requestId]);
}

export async function userRow(id: string) {
  const [u] = await sql<{ id: string; password_hash: string | null; last_login_at: Date | null; status: string }>(
    'select id, password_hash, last_login_at, status from users where id = $1',
    [id],
  );
  return u;
}

export async function sessionRow(id: string) {
  const [s] = await sql<Record<string, unknown>>('select * from sessions where id = $1', [id]);
  return s;
}
