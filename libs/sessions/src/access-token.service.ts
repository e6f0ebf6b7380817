import { Injectable } from '@nestjs/common';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { ProblemError } from '@tessera/http';
import { SigningKeyService, tokenIssuer } from '@tessera/signing-keys';
import { createVerifier } from 'fast-jwt';
import { CryptoKey, decodeProtectedHeader, JWTPayload } from 'jose';
import { KeyObject, randomBytes, sign as signWith } from 'node:crypto';
import { ACCESS_TOKEN_TTL_S, CLOCK_TOLERANCE_S } from './session-policy';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  tid: string;
  /** Session tokens only (absent from client-credentials tokens). */
  sid?: string;
  amr?: string[];
  acr?: string;
  auth_time?: number;
  client_id: string;
  jti: string;
  /** Client-credentials tokens: the granted scopes, space-separated (RFC 9068 §2.2.3). */
  scope?: string;
}

/** The first-party client our own login issues for (RFC 9068 requires client_id). */
export const FIRST_PARTY_CLIENT_ID = 'tessera';

const base64url = (text: string) => Buffer.from(text).toString('base64url');

const JWT_SHAPE = /^[A-Za-z0-9_-]{2,2048}\.[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{2,1024}$/;
/** Headers that would let a token name its own key (RFC 8725 §3.10): never honoured. */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit'];

export const invalidToken = (detail = 'The access token is not valid.') =>
  ProblemError.unauthorized(detail, 'Bearer realm="tessera", error="invalid_token"', 'invalid-token');

/** The node:crypto handle of one of our EC keys (WebCrypto, from the key store), refusing any other kind. */
function ecKeyObject(key: CryptoKey, type: 'private' | 'public'): KeyObject {
  const ko = KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
  if (ko.type !== type || ko.asymmetricKeyType !== 'ec') throw new Error(`the ${type === 'private' ? 'signing' : 'verification'} key is not an EC ${type} key`);
  return ko;
}

// iss and aud too: fast-jwt checks allowedIss/allowedAud only on tokens that carry them.
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'tid', 'client_id'];

/**
 * RFC 9068 access tokens: ES256, `typ: at+jwt`, our issuer and audience only, keys only
 * from our own store (never from the token), 60 s leeway.
 *
 * Verification is fast-jwt's synchronous verifier (node:crypto, on the event loop), one per
 * published key: jose verifies through WebCrypto, a libuv threadpool job per token, and on
 * this service that pool also runs argon2 — authenticated requests queued behind password
 * hashes during a login flood, and each verify cost a thread hop. The header is read with
 * jose first (alg, typ, kid, forbidden members) so the key is chosen from our store only.
 */
@Injectable()
export class AccessTokenService {
  readonly issuer: string;
  readonly audience: string;
  /** node:crypto handles of the signing keys, made once per key. */
  private readonly keyObjects = new WeakMap<CryptoKey, KeyObject>();
  /** One synchronous verifier per published key, made on first use. */
  private readonly verifiers = new WeakMap<CryptoKey, (token: string) => Record<string, unknown>>();

  constructor(
    @InjectConfig() config: TesseraConfig,
    private readonly keys: SigningKeyService,
  ) {
    // The same string the discovery document announces: they must never drift apart.
    this.issuer = tokenIssuer(config);
    this.audience = config.http.publicUrl;
  }

  isJwtShaped(token: string): boolean {
    return JWT_SHAPE.test(token);
  }

  async issue(c: {
    sub: string;
    tid: string;
    sid: string;
    amr: string[];
    acr: string;
    auth_time: number;
    client_id?: string;
  }): Promise<{ token: string; jti: string; expiresIn: number }> {
    const { token, jti, expiresIn } = await this.sign(c.sub, {
      tid: c.tid,
      sid: c.sid,
      amr: c.amr,
      acr: c.acr,
      auth_time: c.auth_time,
      client_id: c.client_id ?? FIRST_PARTY_CLIENT_ID,
    });
    return { token, jti, expiresIn };
  }

  /**
   * An RFC 9068 token for the OAuth client-credentials grant: `sub` is the user the client
   * acts for, `client_id` the client, `scope` what it was granted; no session, no refresh
   * token. Same key, issuer, audience and lifetime as session tokens.
   */
  async issueForClient(c: { sub: string; tid: string; client_id: string; scope: string }): Promise<{ token: string; jti: string; iat: number; expiresIn: number }> {
    return this.sign(c.sub, { tid: c.tid, client_id: c.client_id, scope: c.scope });
  }

  /**
   * The one place an access token is made: ES256, `typ: at+jwt`, our key, issuer, audience and
   * lifetime. Compact JWS (RFC 7515 §7.1) signed with node:crypto on the signing key's
   * KeyObject: jose's SignJWT goes through WebCrypto, a threadpool job that cost ~200 us of
   * CPU per token against ~65 us here (measured), and its thread competes with argon2 on
   * login. Verified by fast-jwt (verify below); a test checks issued tokens against the JWKS with jose.
   */
  private async sign(sub: string, claims: JWTPayload): Promise<{ token: string; jti: string; iat: number; expiresIn: number }> {
    const { kid, key } = await this.keys.signingKey();
    const jti = randomBytes(16).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid }));
    const payload = base64url(
      JSON.stringify({ ...claims, iss: this.issuer, aud: this.audience, sub, iat: now, exp: now + ACCESS_TOKEN_TTL_S, jti }),
    );
    const input = `${header}.${payload}`;
    // ES256 signatures are r || s (IEEE P1363), not DER (RFC 7518 §3.4).
    const signature = signWith('sha256', Buffer.from(input), { key: this.keyObject(key), dsaEncoding: 'ieee-p1363' });
    return { token: `${input}.${signature.toString('base64url')}`, jti, iat: now, expiresIn: ACCESS_TOKEN_TTL_S };
  }

  private keyObject(key: CryptoKey): KeyObject {
    let ko = this.keyObjects.get(key);
    if (!ko) {
      ko = ecKeyObject(key, 'private');
      this.keyObjects.set(key, ko);
    }
    return ko;
  }

  /**
   * Verifies signature and claims; throws a 401 invalid_token problem on any doubt. `sid`
   * is required of session tokens by the token cache check (the cached entry names the kind).
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    if (!this.isJwtShaped(token)) throw invalidToken();
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalidToken();
    }
    const kid = header.kid;
    if (header.alg !== 'ES256' || header.typ !== 'at+jwt' || typeof kid !== 'string') throw invalidToken();
    if (FORBIDDEN_HEADERS.some((h) => h in header)) throw invalidToken();
    const key = await this.keys.verificationKey(kid);
    if (!key) throw invalidToken();
    let payload: Record<string, unknown>;
    try {
      payload = this.verifierFor(key)(token);
    } catch {
      throw invalidToken();
    }
    // fast-jwt bounds the age from iat (maxAge) but not an iat in the future; jose did.
    if ((payload.iat as number) > Date.now() / 1000 + CLOCK_TOLERANCE_S) throw invalidToken();
    // A session token names its session; only a client-credentials token (another
    // client, with granted scopes) has none.
    if (typeof payload.sid !== 'string' && (payload.client_id === FIRST_PARTY_CLIENT_ID || typeof payload.scope !== 'string')) throw invalidToken();
    return payload as unknown as AccessTokenClaims;
  }

  private verifierFor(key: CryptoKey): (token: string) => Record<string, unknown> {
    let verify = this.verifiers.get(key);
    if (!verify) {
      verify = createVerifier({
        key: ecKeyObject(key, 'public').export({ type: 'spki', format: 'pem' }).toString(),
        algorithms: ['ES256'],
        checkTyp: 'at+jwt',
        allowedIss: this.issuer,
        allowedAud: this.audience,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: CLOCK_TOLERANCE_S * 1000,
        maxAge: (ACCESS_TOKEN_TTL_S + CLOCK_TOLERANCE_S) * 1000,
        // No cache of verified tokens: every request verifies its signature.
        cache: false,
      }) as (token: string) => Record<string, unknown>;
      this.verifiers.set(key, verify);
    }
    return verify;
  }
}
