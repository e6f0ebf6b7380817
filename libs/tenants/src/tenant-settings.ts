import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@tessera/password';
import type { TenantSettings } from './tenant.entity';

/**
 * Settings as a caller submits them. On update a key set to null removes that setting;
 * an absent key leaves it as it is.
 */
export interface TenantSettingsInput {
  mfa?: { requiredForAll?: boolean; allowEmailForElevated?: boolean } | null;
  passwordPolicy?: { minLength?: number; minScore?: 3 | 4 } | null;
  allowedEmailDomains?: string[] | null;
  session?: { idleHours?: number; absoluteHours?: number } | null;
  rateLimit?: { perMinute?: number; burst?: number; credentialPerMinute?: number; credentialBurst?: number } | null;
}

type SettingsKey = keyof TenantSettings;
const KEYS: SettingsKey[] = ['mfa', 'passwordPolicy', 'allowedEmailDomains', 'session', 'rateLimit'];

/** Bounds of a tenant's rate-limit settings (requests per minute, bucket size). */
export const RATE_LIMIT_SETTING_MAX = 1_000_000;

function cleanMfa(v: unknown): TenantSettings['mfa'] {
  if (!v || typeof v !== 'object') return undefined;
  const out: NonNullable<TenantSettings['mfa']> = {};
  for (const k of ['requiredForAll', 'allowEmailForElevated'] as const) {
    const b = (v as Record<string, unknown>)[k];
    if (typeof b === 'boolean') out[k] = b;
  }
  return Object.keys(out).length ? out : undefined;
}

function cleanPasswordPolicy(v: unknown): TenantSettings['passwordPolicy'] {
  if (!v || typeof v !== 'object') return undefined;
  const { minLength, minScore } = v as { minLength?: unknown; minScore?: unknown };
  const out: NonNullable<TenantSettings['passwordPolicy']> = {};
  if (
    Number.isInteger(minLength) &&
    (minLength as number) >= PASSWORD_MIN_LENGTH &&
    (minLength as number) <= PASSWORD_MAX_LENGTH
  ) {
    out.minLength = minLength as number;
  }
  if (minScore === 3 || minScore === 4) out.minScore = minScore;
  return Object.keys(out).length ? out : undefined;
}

function cleanDomains(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const domains = [
    ...new Set(
      v
        .filter((d): d is string => typeof d === 'string')
        .map((d) => d.normalize('NFKC').trim().toLowerCase()),
    ),
  ].filter(Boolean);
  return domains.length ? domains : undefined;
}

function cleanSession(v: unknown): TenantSettings['session'] {
  if (!v || typeof v !== 'object') return undefined;
  const out: NonNullable<TenantSettings['session']> = {};
  for (const k of ['idleHours', 'absoluteHours'] as const) {
    const n = (v as Record<string, unknown>)[k];
    if (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 2160) out[k] = n as number;
  }
  return Object.keys(out).length ? out : undefined;
}

function cleanRateLimit(v: unknown): TenantSettings['rateLimit'] {
  if (!v || typeof v !== 'object') return undefined;
  const out: NonNullable<TenantSettings['rateLimit']> = {};
  for (const k of ['perMinute', 'burst', 'credentialPerMinute', 'credentialBurst'] as const) {
    const n = (v as Record<string, unknown>)[k];
    if (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= RATE_LIMIT_SETTING_MAX) out[k] = n as number;
  }
  return Object.keys(out).length ? out : undefined;
}

function cleanValue(key: SettingsKey, v: unknown): unknown {
  if (key === 'mfa') return cleanMfa(v);
  if (key === 'rateLimit') return cleanRateLimit(v);
  if (key === 'session') return cleanSession(v);
  if (key === 'passwordPolicy') return cleanPasswordPolicy(v);
  return cleanDomains(v);
}

/**
 * Only known keys, only well-formed values, in a fixed key order (so two settings compare
 * equal as JSON). The HTTP DTOs already refuse anything else with a 400; this is the
 * service's own guarantee for callers that bypass them, and for rows read back.
 */
export function cleanSettings(
  input: TenantSettingsInput | TenantSettings | null | undefined,
): TenantSettings {
  const out: Record<string, unknown> = {};
  if (!input) return out;
  for (const key of KEYS) {
    const v = cleanValue(key, (input as Record<string, unknown>)[key]);
    if (v !== undefined) out[key] = v;
  }
  return out as TenantSettings;
}

/** JSON-merge-patch by top-level key: given keys replace, null keys are removed, absent keys stay. */
export function mergeSettings(current: TenantSettings, patch: TenantSettingsInput): TenantSettings {
  const merged: Record<string, unknown> = { ...cleanSettings(current) };
  for (const key of KEYS) {
    const v = (patch as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (v === null) delete merged[key];
    else merged[key] = v;
  }
  return cleanSettings(merged as TenantSettings);
}

export function sameSettings(a: TenantSettings, b: TenantSettings): boolean {
  return JSON.stringify(cleanSettings(a)) === JSON.stringify(cleanSettings(b));
}
