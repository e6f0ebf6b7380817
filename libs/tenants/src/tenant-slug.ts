import { randomBytes } from 'node:crypto';

/** 1–63 characters of a-z, 0-9 and '-', no leading or trailing dash: a DNS label, so a slug can name a subdomain. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const SLUG_MAX_LENGTH = 63;

/**
 * Slugs that would be confusing or dangerous as a tenant's public name (subdomains,
 * support mails, paths). `platform` is the root tenant's own slug.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'platform',
  'admin',
  'administrator',
  'api',
  'auth',
  'docs',
  'login',
  'oauth',
  'root',
  'security',
  'support',
  'system',
  'tessera',
  'www',
]);

export function isValidSlug(value: unknown): value is string {
  return typeof value === 'string' && SLUG_PATTERN.test(value);
}

/**
 * A slug derived from a display name: accents dropped ("Café Müller" → "cafe-muller"),
 * everything that is not a-z0-9 collapsed to single dashes, cut to 63 characters.
 * A name with nothing usable (e.g. only CJK or emoji) gives "tenant", which
 * `slugCandidate` then makes unique with a suffix.
 */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX_LENGTH)
    .replace(/-+$/, '');
  return slug || 'tenant';
}

/**
 * `base` with a short random suffix ("acme" → "acme-k3x9q2"), still a valid slug.
 * Tenant names are not unique (two "Acme" sign-ups), slugs are; 30 random bits make a
 * second collision unlikely and the caller retries anyway.
 */
export function slugWithSuffix(base: string): string {
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
  const room = SLUG_MAX_LENGTH - suffix.length - 1;
  const head = base.slice(0, room).replace(/-+$/, '') || 'tenant';
  return `${head}-${suffix}`;
}
