import type { AuditEntry } from '@tessera/audit';
import { Principal, principalAudit } from '@tessera/auth';
import { PLATFORM_TENANT_ID } from '@tessera/database';

/**
 * An operator at the CLI: no request, no user, acts as the platform (every tenant
 * descends from the root). `id` names the operator in the audit trail (the OS user).
 */
export interface OperatorActor {
  kind: 'operator';
  id?: string;
}

/** Who asks the tenants service to do something: an authenticated user, or an operator. */
export type TenantActor = Principal | OperatorActor;

/** The tenant an actor stands in: its own, or the platform root for an operator. */
export function actorTenantId(actor: TenantActor): string {
  return actor.kind === 'operator' ? PLATFORM_TENANT_ID : actor.tenantId;
}

/** Actor and credential of an audit row, the same shape the guards write. */
export function auditActor(actor: TenantActor): Pick<AuditEntry, 'actor' | 'credential'> {
  if (actor.kind === 'operator') {
    return { actor: { type: 'operator', id: actor.id ?? null }, credential: { type: 'cli' } };
  }
  return principalAudit(actor);
}
