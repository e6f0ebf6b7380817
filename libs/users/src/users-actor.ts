import type { AuditEntry } from '@tessera/audit';
import { GeneralRole, Principal, principalAudit } from '@tessera/auth';

/**
 * Who asks for a user operation: an authenticated API caller, or an operator at the CLI
 * (no HTTP request, no principal). One code path serves both, so both are audited alike.
 */
export type UsersActor = { kind: 'user'; principal: Principal } | { kind: 'operator'; id: string };

export const operatorActor = (id = 'cli'): UsersActor => ({ kind: 'operator', id });

export const userActor = (principal: Principal): UsersActor => ({ kind: 'user', principal });

/**
 * The general role an actor acts with. An operator has shell access to the deployment and
 * so the platform's full power; the rules that bind a system admin still bind it.
 */
export function actorRole(actor: UsersActor): GeneralRole {
  return actor.kind === 'user' ? actor.principal.role : 'system_admin';
}

/** The actor and credential fields of an audit entry. */
export function auditActor(actor: UsersActor): Pick<AuditEntry, 'actor' | 'credential'> {
  return actor.kind === 'user'
    ? principalAudit(actor.principal)
    : { actor: { type: 'operator', id: actor.id }, credential: { type: 'cli' } };
}
