/**
 * The platform-wide identity of an email (DESIGN.md): Unicode NFKC, trimmed, lower-cased.
 * "Ａlice@Example.COM" and "alice@example.com" are the same account.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** What we keep for display and mail: NFKC and trimmed, case preserved. */
export function cleanEmail(email: string): string {
  return email.normalize('NFKC').trim();
}

export function emailDomain(email: string): string {
  return normalizeEmail(email).split('@').pop() ?? '';
}
