export type ActorType = 'user' | 'api_key' | 's2s' | 'oauth_client' | 'operator' | 'system' | 'anonymous';
export type CredentialType = 'password' | 'access_token' | 'refresh_token' | 'api_key' | 's2s_token' | 'oauth_client' | 'cli' | 'mfa_token' | 'none';

/** One audit event. Request facts (IP, user agent, route, request id) are added by AuditService. */
export interface AuditEntry {
  /** Dotted verb, e.g. `auth.login`, `user.disable`, `access.denied`. */
  action: string;
  outcome: 'success' | 'failure';
  /** Default `allow`; `deny` for refused requests. */
  decision?: 'allow' | 'deny';
  /** Null/undefined = platform chain (no tenant known, e.g. an unauthenticated request). */
  tenantId?: string | null;
  actor?: { type: ActorType; id?: string | null };
  credential?: { type: CredentialType; id?: string | null; test?: boolean };
  target?: { type: string; id?: string | null };
  riskTier?: 1 | 2 | 3 | 4;
  /** Redacted by key name before it is stored (password, token, secret, code, ...). */
  params?: Record<string, unknown>;
  /** For operators (e.g. why a login failed); never shown to the caller. */
  reason?: string;
}

export interface AuditChainResult {
  tenantId: string | null;
  checked: number;
  ok: boolean;
  /** How many lanes (hash chains) the tenant's trail has rows in. */
  lanes?: number;
  firstBroken?: { lane: number; seq: number; id: string | null; problem: string };
}
