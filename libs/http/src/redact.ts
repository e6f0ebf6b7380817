/** Keys whose values never reach a log line or an audit row, matched case-insensitively. */
const SENSITIVE_KEY =
  /(pass(word|wd|phrase)?|secret|token|authorization|cookie|code$|code_verifier|otp|assertion|private|credential|api[-_]?key|^key$|signature|recovery)/i;

export const REDACTED = '[REDACTED]';

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/**
 * Deep copy with sensitive values replaced. Bounded in depth, width and string length so
 * a hostile body cannot make an audit row or log line arbitrarily large.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return value.length > 512 ? `${value.slice(0, 512)}…` : value;
  if (typeof value !== 'object') return value;
  if (depth >= 4) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 50)) {
    out[k] = isSensitiveKey(k) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** Redacts sensitive query parameters in a URL path so a logged URL carries no secret. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) {
    if (isSensitiveKey(key) || key === 'state' || key === 'id_token_hint') params.set(key, REDACTED);
  }
  return `${url.slice(0, q)}?${params.toString()}`;
}
