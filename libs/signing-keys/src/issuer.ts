import { TesseraConfig } from '@tessera/config';

/**
 * The issuer identifier: PUBLIC_URL without a trailing slash. The discovery document's
 * `issuer` and the `iss` of every token we sign must be this exact string (RFC 8414 §3.3),
 * and verifiers compare `iss` against it.
 */
export function tokenIssuer(config: TesseraConfig): string {
  return config.http.publicUrl;
}
