/**
 * Who is calling, as established by exactly one authenticator. A discriminated union:
 * later modules add their kinds (api_key, s2s, oauth_client); code switches on `kind`.
 */
import { GeneralRole } from './roles';

export interface UserPrincipal {
  kind: 'user';
  userId: string;
  tenantId: string;
  /** The user's general role as stored now (not as minted into a token). */
  role: GeneralRole;
  sessionId: string;
  amr: string[];
  acr: string;
  authTime: number;
  tokenId: string;
}

export type Principal = UserPrincipal;

/** An authenticator turns a request's credential into a principal, or refuses it. */
export interface Authenticator {
  /** Name shown in OpenAPI and the route inventory, e.g. `bearer-jwt`. */
  readonly name: string;
  /** True when the credential has this authenticator's shape (scheme, prefix). Cheap, no I/O. */
  supports(authorization: string): boolean;
  /** Resolves the principal or throws a 401 ProblemError. */
  authenticate(authorization: string, request: unknown): Promise<Principal>;
}
