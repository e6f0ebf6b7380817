import { delegatedPermissions, isPermission, Permission, tierOf, TIER_SCOPES } from '@tessera/auth';
import { ApiKeysErrors } from './api-keys.errors';

/**
 * Scopes of a delegated credential: registered permissions, or the tier scopes `read`
 * (tier 1), `write` (tiers 1–2), `execute` (tiers 1–3) and their `ai:` aliases. Unknown
 * scopes and tier-4 permissions are refused at creation (400), never stored.
 */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const unknown = scopes.filter((s) => !(s in TIER_SCOPES) && !isPermission(s));
  if (unknown.length) throw ApiKeysErrors.unknownScopes(unknown);
  const tier4 = scopes.filter((s): s is Permission => isPermission(s) && tierOf(s) === 4);
  if (tier4.length) throw ApiKeysErrors.scopeNotDelegable(tier4);
  return [...new Set(scopes)].sort();
}

/** Explicit permission scopes the holder does not have now (tier scopes are always intersected). */
export function scopesNotHeld(scopes: readonly string[], held: ReadonlySet<string>): string[] {
  return scopes.filter((s) => isPermission(s) && !held.has(s));
}

/** What a credential with these scopes would allow its owner now. */
export function effectiveFor(ownerPermissions: Iterable<string>, scopes: readonly string[]): Set<Permission> {
  return delegatedPermissions(ownerPermissions, scopes);
}

/** The `requested` scopes that `allowed` ones do not cover (a tier scope covers every permission up to its tier). */
export function scopesNotCovered(requested: readonly string[], allowed: readonly string[]): string[] {
  const maxTier = Math.max(0, ...allowed.map((s) => TIER_SCOPES[s] ?? 0));
  const explicit = new Set(allowed);
  return requested.filter((s) => {
    if (explicit.has(s)) return false;
    const tier = TIER_SCOPES[s] ?? (isPermission(s) ? tierOf(s) : 99);
    return tier > maxTier;
  });
}
