import { randomBytes } from 'node:crypto';

const MAX_BASE = 40;

/**
 * The readable part of a slug from a tenant name: accents dropped, lower-case ASCII
 * letters and digits, words joined by '-', at most 40 characters; 'tenant' when nothing
 * is left (e.g. a name in a non-Latin script).
 */
export function slugBase(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_BASE)
    .replace(/-+$/, '');
  return base || 'tenant';
}

/**
 * A slug for a self-service tenant: the name's base plus 6 random hex characters, so
 * sign-ups never collide on (or reveal) another tenant's slug by name alone. Matches the
 * `tenants_slug_format` check (at most 47 characters).
 */
export function signupSlug(name: string): string {
  return `${slugBase(name)}-${randomBytes(3).toString('hex')}`;
}
