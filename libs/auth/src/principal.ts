/**
 * Who is calling, as established by exactly one authenticator. A discriminated union on
 * `kind`: a person with a session, or a delegated credential (API key, S2S token, OAuth
 * client token). Every kind carries what the permission guard needs — tenant, general
 * role and effective permissions as stored NOW (not as minted into a token) — so the
 * decision never needs a database round trip.
 */
import type { AuditEntry } from '@tessera/audit';
import { RequestContextStore } from '@tessera/http';
import { GeneralRole } from './roles';

/** Credential types a route accepts unless it says otherwise (declared with @RequirePermissions). */
export const CREDENTIAL_TYPES = ['session', 'api_key', 's2s', 'oauth_client'] as const;
/**
 * `mfa_enrollment` is deliberately not in CREDENTIAL_TYPES: a route accepts it only when it
 * names it (the MFA enrolment routes), so every other route refuses it by default.
 */
export type CredentialKind = (typeof CREDENTIAL_TYPES)[number] | 'mfa_enrollment';

interface PrincipalBase {
  tenantId: string;
  /** The general role the caller acts with (for a delegated credential: its owner's, or the integration's). */
  role: GeneralRole;
  /** Effective permissions now: role ∪ task roles (∩ scopes for delegated credentials). */
  permissions: ReadonlySet<string>;
  /** Names of the task roles held (built-in and custom), for /v1/me and audit. */
  taskRoles: readonly string[];
}

export interface UserPrincipal extends PrincipalBase {
  kind: 'session';
  userId: string;
  sessionId: string;
  amr: string[];
  acr: string;
  authTime: number;
  tokenId: string;
}

/** API keys, S2S tokens and OAuth client tokens: never tier 4, never above their owner. */
export interface DelegatedPrincipal extends PrincipalBase {
  kind: 'api_key' | 's2s' | 'oauth_client';
  /** The user the credential acts for; null for an S2S integration. */
  userId: string | null;
  /** Key id, S2S token id or OAuth client id. */
  credentialId: string;
  /** Integration name (S2S) or client id; for audit. */
  actorId: string;
  scopes: readonly string[];
  /** `tsr_test_` keys: marked in every audit row and in /v1/me. */
  testMode: boolean;
  /** jti of an OAuth access token, when there is one. */
  tokenId?: string;
}

/**
 * A person who gave the right password but must enrol a second factor before getting a
 * session (@tessera/mfa): its only permission is `mfa:enroll`, and only routes that name
 * the `mfa_enrollment` credential type accept it.
 */
export interface EnrollmentPrincipal extends PrincipalBase {
  kind: 'mfa_enrollment';
  userId: string;
  /** The enrolment challenge (its token is the credential). */
  tokenId: string;
}

export type Principal = UserPrincipal | DelegatedPrincipal | EnrollmentPrincipal;

export const isDelegated = (p: Principal): p is DelegatedPrincipal => p.kind === 'api_key' || p.kind === 's2s' || p.kind === 'oauth_client';

/** The actor and credential fields of an audit row for this principal (one shape everywhere). */
export function principalAudit(p: Principal): Pick<AuditEntry, 'actor' | 'credential'> {
  switch (p.kind) {
    case 'session':
      return {
        actor: { type: 'user', id: p.userId },
        credential: { type: 'access_token', id: p.tokenId },
      };
    case 'api_key':
      return {
        actor: { type: 'user', id: p.userId },
        credential: { type: 'api_key', id: p.credentialId, test: p.testMode },
      };
    case 's2s':
      return {
        actor: { type: 's2s', id: p.actorId },
        credential: { type: 's2s_token', id: p.credentialId, test: p.testMode },
      };
    case 'oauth_client':
      return {
        actor: { type: 'oauth_client', id: p.actorId },
        credential: { type: 'oauth_client', id: p.tokenId ?? p.credentialId },
      };
    case 'mfa_enrollment':
      return { actor: { type: 'user', id: p.userId }, credential: { type: 'mfa_token', id: p.tokenId } };
  }
}

/** An authenticator turns a request's credential into a principal, or refuses it. */
export interface Authenticator {
  /** Name shown in OpenAPI and the route inventory, e.g. `bearer-jwt`. */
  readonly name: string;
  /** True when the credential has this authenticator's shape (scheme, prefix). Cheap, no I/O. */
  supports(authorization: string): boolean;
  /**
   * Resolves the principal or throws a 401 ProblemError. `provisional`: the caller (the
   * access guard) will confirm `pendingCredential` in the request context, so the
   * authenticator may decide on values it read before (see RequestContext).
   */
  authenticate(authorization: string, request: unknown, opts?: { provisional?: boolean }): Promise<Principal>;
}

/**
 * The tenant the request acts in: what the tenant-context guard allowed (`:tenantId` or
 * `?tenantId=`), else the principal's own. Services working on a collection use this.
 */
export function actingTenantId(p: Principal): string {
  return (RequestContextStore.current()?.actingTenantId as string | undefined) ?? p.tenantId;
}
