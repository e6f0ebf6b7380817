import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { TenantDb } from '@tessera/database';
import { ProblemError, redact, RequestContextStore } from '@tessera/http';
import { AuditEntry } from './audit.types';

/**
 * The one writer of the audit trail. Pass the EntityManager of the transaction that makes
 * the change, so the row commits or rolls back with it. Rows go through the database
 * function `audit_append`, which chains each row to the previous one of its tenant.
 */
@Injectable()
export class AuditService {
  constructor(private readonly db: TenantDb) {}

  async record(entry: AuditEntry, em?: EntityManager): Promise<void> {
    const payload = JSON.stringify(this.toRow(entry));
    const write = (tx: EntityManager) => tx.execute('select audit_append(cast(? as jsonb))', [payload]);
    if (em) {
      await write(em);
      return;
    }
    if (entry.tenantId) await this.db.withTenant(entry.tenantId, write);
    else await this.db.withoutTenant(write);
  }

  /**
   * Runs a change; when a rule refuses it (a 4xx problem other than 404, which is audited
   * where it is decided, as a denial), the refusal is audited in its own transaction — the
   * change's has rolled back — with the problem code as the reason, and the error rethrown.
   */
  async refusalsAudited<T>(entry: Omit<AuditEntry, 'outcome' | 'decision' | 'reason'>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ProblemError && err.status >= 400 && err.status < 500 && err.status !== 404) {
        await this.recordRefusal(entry, err);
      }
      throw err;
    }
  }

  /** One refused change: outcome failure, decision deny for a 403, the problem code as reason. */
  recordRefusal(entry: Omit<AuditEntry, 'outcome' | 'decision' | 'reason'>, err: ProblemError): Promise<void> {
    return this.record({ ...entry, outcome: 'failure', decision: err.status === 403 ? 'deny' : 'allow', reason: err.code });
  }

  private toRow(e: AuditEntry): Record<string, unknown> {
    const ctx = RequestContextStore.current();
    return {
      tenant_id: e.tenantId ?? null,
      actor_type: e.actor?.type ?? 'anonymous',
      actor_id: e.actor?.id ?? null,
      credential_type: e.credential?.type ?? null,
      credential_id: e.credential?.id ?? null,
      credential_test: e.credential?.test ?? false,
      action: e.action,
      target_type: e.target?.type ?? null,
      target_id: e.target?.id ?? null,
      route: ctx?.route ?? null,
      method: ctx?.method ?? null,
      ip: ctx?.ip ?? null,
      user_agent: ctx?.userAgent ?? null,
      request_id: ctx?.requestId ?? null,
      params: redact(e.params ?? {}),
      risk_tier: e.riskTier ?? null,
      decision: e.decision ?? 'allow',
      outcome: e.outcome,
      reason: e.reason ?? null,
    };
  }
}
