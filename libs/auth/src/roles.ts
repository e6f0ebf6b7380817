/** General roles, each including the ones before it (DESIGN.md). */
export const GENERAL_ROLES = ['member', 'tenant_admin', 'domain_admin', 'system_admin'] as const;
export type GeneralRole = (typeof GENERAL_ROLES)[number];

export function isGeneralRole(value: unknown): value is GeneralRole {
  return typeof value === 'string' && (GENERAL_ROLES as readonly string[]).includes(value);
}

export function roleRank(role: GeneralRole): number {
  return GENERAL_ROLES.indexOf(role);
}

export function roleAtLeast(role: GeneralRole, minimum: GeneralRole): boolean {
  return roleRank(role) >= roleRank(minimum);
}
