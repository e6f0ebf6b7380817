import { GeneralRole, GENERAL_ROLES } from './roles';

/**
 * The permission registry (DESIGN.md): every permission `resource:action` with what it
 * allows and its risk tier. 1 read · 2 mutate · 3 execute/privileged (may require step-up)
 * · 4 never through a delegated credential (API key, S2S token, OAuth token).
 *
 * This object is the single source: roles, the guard, OpenAPI, the route inventory and the
 * README tables (`npm run docs:permissions`) are all derived from it.
 */
export const PERMISSIONS = {
  'self:read': { tier: 1, description: "Read one's own profile, roles and sessions." },
  'self:write': {
    tier: 2,
    description: "Change one's own name and password; end one's own sessions.",
  },

  'tenants:read': { tier: 1, description: 'Read a tenant and list its child tenants.' },
  'tenants:update': { tier: 2, description: 'Rename a tenant.' },
  'tenants:security': {
    tier: 3,
    description:
      "Change a tenant's settings: MFA, session lifetimes, password policy, email domains, API limits.",
  },
  'tenants:create': {
    tier: 3,
    description: 'Create a child tenant below one the caller administers.',
  },
  'tenants:suspend': {
    tier: 3,
    description: 'Suspend or reactivate a tenant (every session in it ends).',
  },
  'tenants:delete': { tier: 4, description: 'Delete a tenant.' },

  'users:read': { tier: 1, description: 'List and read users.' },
  'users:invite': { tier: 2, description: 'Invite users and resend invitations.' },
  'users:update': { tier: 2, description: "Change a user's name." },
  'users:disable': { tier: 3, description: 'Disable and re-enable users (their sessions end).' },
  'users:delete': { tier: 3, description: 'Delete users.' },

  'roles:read': {
    tier: 1,
    description: 'List built-in and custom roles and the permission registry.',
  },
  'roles:write': { tier: 3, description: 'Create, change and delete custom task roles.' },
  'roles:assign': {
    tier: 3,
    description: "Change a user's general role and task roles (never above one's own).",
  },
  'roles:assign_system_admin': { tier: 4, description: 'Grant or revoke the system_admin role.' },

  'sessions:read': { tier: 1, description: "List another user's sessions." },
  'sessions:revoke': { tier: 2, description: "End another user's sessions." },

  'audit:read': { tier: 1, description: 'Query audit events.' },
  'audit:export': { tier: 2, description: 'Export audit events (NDJSON, CSV).' },

  'api_keys:read': {
    tier: 1,
    description: "List and read one's own API keys (never their secrets).",
  },
  'api_keys:write': { tier: 2, description: "Create, rotate and revoke one's own API keys." },
  'api_keys:manage': {
    tier: 3,
    description: "List, mint, rotate and revoke other users' API keys.",
  },
  's2s_tokens:write': {
    tier: 3,
    description: 'Create and revoke S2S tokens for named integrations.',
  },
  'oauth_clients:read': { tier: 1, description: 'List and read OAuth clients.' },
  'oauth_clients:write': {
    tier: 3,
    description: 'Create, disable, rotate and delete OAuth clients.',
  },
  'tokens:introspect': {
    tier: 2,
    description: 'Introspect and revoke tokens (internal services, RFC 7662/7009).',
  },

  'mfa:enroll': { tier: 2, description: "Enrol, confirm and remove one's own second factors." },
  'mfa:reset': { tier: 3, description: "Reset another user's second factors (their sessions end)." },

  'templates:read': { tier: 1, description: 'Read mail and page templates.' },
  'templates:write': { tier: 2, description: 'Change mail and page templates.' },

  'sso:read': { tier: 1, description: "Read the tenant's SSO and eID configuration." },
  'sso:write': { tier: 3, description: "Change the tenant's SSO and eID configuration." },

  'signing_keys:read': { tier: 1, description: 'List the platform signing keys (public parts).' },
  'signing_keys:rotate': { tier: 4, description: 'Rotate the platform signing keys.' },
} as const satisfies Record<string, { tier: RiskTier; description: string }>;

export type RiskTier = 1 | 2 | 3 | 4;
export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(PERMISSIONS, value);
}

export function tierOf(permission: Permission): RiskTier {
  return PERMISSIONS[permission].tier;
}

/** What each general role adds to the one below it (the hierarchy includes lower roles). */
const GENERAL_ROLE_ADDS: Record<GeneralRole, Permission[]> = {
  member: ['self:read', 'self:write', 'mfa:enroll', 'api_keys:read', 'api_keys:write'],
  tenant_admin: [
    'tenants:read',
    'tenants:update',
    'tenants:security',
    'users:read',
    'users:invite',
    'users:update',
    'users:disable',
    'users:delete',
    'roles:read',
    'roles:write',
    'roles:assign',
    'sessions:read',
    'sessions:revoke',
    'audit:read',
    'audit:export',
    'api_keys:manage',
    's2s_tokens:write',
    'oauth_clients:read',
    'oauth_clients:write',
    'tokens:introspect',
    'mfa:reset',
    'templates:read',
    'templates:write',
    'sso:read',
    'sso:write',
  ],
  domain_admin: ['tenants:create', 'tenants:suspend'],
  system_admin: [
    'tenants:delete',
    'roles:assign_system_admin',
    'signing_keys:read',
    'signing_keys:rotate',
  ],
};

/** The permission set of each general role, lower roles included. */
export const GENERAL_ROLE_PERMISSIONS: Record<GeneralRole, readonly Permission[]> = (() => {
  const out = {} as Record<GeneralRole, Permission[]>;
  let acc: Permission[] = [];
  for (const role of GENERAL_ROLES) {
    acc = [...acc, ...GENERAL_ROLE_ADDS[role]];
    out[role] = acc;
  }
  return out;
})();

/** Built-in task roles: named bundles granted on top of a general role. */
export const BUILTIN_TASK_ROLES = {
  credential_manager: {
    description: 'Manages API keys, S2S tokens and OAuth clients of the tenant.',
    permissions: [
      'api_keys:read',
      'api_keys:write',
      'api_keys:manage',
      's2s_tokens:write',
      'oauth_clients:read',
      'oauth_clients:write',
    ],
  },
  user_manager: {
    description:
      'Invites, edits, disables and deletes users; ends their sessions; resets their MFA.',
    permissions: [
      'users:read',
      'users:invite',
      'users:update',
      'users:disable',
      'users:delete',
      'sessions:read',
      'sessions:revoke',
      'mfa:reset',
    ],
  },
  template_editor: {
    description: 'Edits mail and page templates.',
    permissions: ['templates:read', 'templates:write'],
  },
  auditor: {
    description: 'Reads and exports the audit trail; reads users and roles to make sense of it.',
    permissions: ['audit:read', 'audit:export', 'users:read', 'roles:read'],
  },
  sso_admin: {
    description: "Configures the tenant's SSO (Entra ID) and eID (Signicat) connections.",
    permissions: ['sso:read', 'sso:write'],
  },
} as const satisfies Record<string, { description: string; permissions: readonly Permission[] }>;

export type BuiltinTaskRole = keyof typeof BUILTIN_TASK_ROLES;

export function isBuiltinTaskRole(value: unknown): value is BuiltinTaskRole {
  return (
    typeof value === 'string' && Object.prototype.hasOwnProperty.call(BUILTIN_TASK_ROLES, value)
  );
}

/**
 * Delegated-credential scopes (Machine credentials issue): explicit permissions, or a tier
 * scope that stands for every permission up to that tier.
 */
export const TIER_SCOPES: Record<string, RiskTier> = {
  read: 1,
  write: 2,
  execute: 3,
  'ai:read': 1,
  'ai:write': 2,
  'ai:execute': 3,
};

/**
 * What a delegated credential may do: the owner's current permissions ∩ its scopes, never
 * tier 4 (DESIGN.md: no override). Unknown scopes grant nothing.
 */
export function delegatedPermissions(
  ownerPermissions: Iterable<string>,
  scopes: readonly string[],
): Set<Permission> {
  const maxTier = Math.max(0, ...scopes.map((s) => TIER_SCOPES[s] ?? 0));
  const explicit = new Set(scopes);
  const out = new Set<Permission>();
  for (const p of ownerPermissions) {
    if (!isPermission(p)) continue;
    const tier = tierOf(p);
    if (tier === 4) continue;
    if (tier <= maxTier || explicit.has(p)) out.add(p);
  }
  return out;
}

const delegatedMemo = new WeakMap<object, Map<string, ReadonlySet<Permission>>>();

/**
 * delegatedPermissions, worked out once per owner permission set and scopes: the
 * authenticators get the owner's set from the authorization cache (one object per stored
 * value) or GENERAL_ROLE_PERMISSIONS, so a key or client used again gets the same answer
 * without walking the owner's permissions on every request. The owner set must not be
 * mutated afterwards (none is: principals' permissions are read-only).
 */
export function delegatedPermissionsOf(
  ownerPermissions: ReadonlySet<string> | readonly string[],
  scopes: readonly string[],
): ReadonlySet<Permission> {
  let byScopes = delegatedMemo.get(ownerPermissions);
  if (!byScopes) delegatedMemo.set(ownerPermissions, (byScopes = new Map()));
  const key = scopes.join('\n');
  let out = byScopes.get(key);
  if (!out) {
    if (byScopes.size >= 1_000) byScopes.clear();
    byScopes.set(key, (out = delegatedPermissions(ownerPermissions, scopes)));
  }
  return out;
}
