/**
 * RFC 6749 §5.2 errors (and RFC 7009's unsupported_token_type): what the OAuth endpoints
 * answer instead of problem+json, because OAuth clients parse `error`.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'temporarily_unavailable'
  | 'server_error';

export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  static invalidRequest(description: string) {
    return new OAuthError(400, 'invalid_request', description);
  }
  /** 401 with a Basic challenge (RFC 6749 §5.2: the scheme the client used, or may use). */
  static invalidClient(description = 'Client authentication failed.') {
    return new OAuthError(401, 'invalid_client', description, { 'WWW-Authenticate': 'Basic realm="tessera", charset="UTF-8"' });
  }
  static invalidScope(description: string) {
    return new OAuthError(400, 'invalid_scope', description);
  }
  static unsupportedGrantType() {
    return new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported here.');
  }
  static unauthorizedClient(description: string) {
    return new OAuthError(400, 'unauthorized_client', description);
  }
}
