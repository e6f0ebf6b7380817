import { HttpStatus, Injectable } from '@nestjs/common';
import { Principal, roleAtLeast, TenantAccess } from '@tessera/auth';
import { decodeKeysetCursor, encodeKeysetCursor, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { AuditService } from '@tessera/audit';
import { AuditEventRow } from './dto/audit-event.dto';
import {
  AUDIT_LIST_DEFAULT_LIMIT,
  AUDIT_LIST_MAX_LIMIT,
  AuditEventsFilterDto,
  AuditExportFormat,
} from './dto/audit-events.query';

/** The read side's expected failures (problem type `urn:tessera:problem:<code>`). */
export const AuditQueryErrors = {
  tenantNotAllowed: () => ProblemError.forbidden('You cannot read the audit trail of this tenant.'),
  subtreeNotAllowed: () =>
    ProblemError.forbidden('Reading a tenant subtree requires the domain_admin role or above.'),
  invalidCursor: () =>
    ProblemError.badRequest(
      'invalid-cursor',
      'Invalid cursor',
      'The cursor is not one this API returned.',
    ),
  invalidTimeRange: () =>
    new ProblemError(
      HttpStatus.BAD_REQUEST,
      'invalid-time-range',
      'Invalid time range',
      '`from` must be earlier than `to`.',
    ),
};

/** The filters of a query, without the scope (tenantId/subtree), which resolveScope consumes. */
export type AuditFilter = Omit<AuditEventsFilterDto, 'tenantId' | 'subtree'>;

/** Which tenants' rows a query reads: resolved once per request by resolveScope. */
export interface AuditScope {
  /** The tenant named by the caller (or its own): the root of a subtree query. */
  rootTenantId: string;
  tenantIds: string[];
  subtree: boolean;
}

export interface AuditPage {
  items: AuditEventRow[];
  nextCursor: string | null;
}

/** Opaque to clients: (occurred_at to the microsecond, id), the sort key, so pages never skip or repeat. */
function encodeCursor(row: Pick<AuditEventRow, 'occurred_at' | 'id'>): string {
  return encodeKeysetCursor(row.occurred_at, row.id);
}

function decodeCursor(cursor: string): [string, string] {
  const decoded = decodeKeysetCursor(cursor);
  if (!decoded) throw AuditQueryErrors.invalidCursor();
  return decoded;
}

/** Descending by the sort key: occurred_at, then id (text order equals PostgreSQL's uuid order). */
function newerFirst(a: AuditEventRow, b: AuditEventRow): number {
  if (a.occurred_at !== b.occurred_at) return a.occurred_at < b.occurred_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

const COLUMNS = `id, tenant_id, lane, seq::text as seq,
  to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at,
  actor_type, actor_id, credential_type, credential_id, credential_test, action, target_type, target_id,
  route, method, host(ip) as ip, user_agent, request_id, params, risk_tier, decision, outcome, reason,
  hash, prev_hash`;

/** Rows read per transaction by the export (bounded memory: one page at a time). */
export const AUDIT_EXPORT_PAGE = 1000;

/**
 * Reads the audit trail for tenant admins (and, with the RBAC issue, the `auditor` task
 * role). Every read runs in TenantDb transactions, so RLS (SELECT on the tenant set on the
 * transaction only) is the last word on what is visible; a subtree query lists the
 * descendants under RLS and reads each tenant in its own transaction.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly db: TenantDb,
    private readonly tenantAccess: TenantAccess,
    private readonly audit: AuditService,
  ) {}

  /**
   * The tenants a caller may read: its own by default; `tenantId` if TenantAccess allows it;
   * with `subtree`, that tenant and every descendant (domain_admin and above). A refusal is
   * a 403 with an `access.denied` row in the caller's tenant — never a silent fallback.
   */
  async resolveScope(
    principal: Principal,
    requested: { tenantId?: string; subtree?: boolean },
  ): Promise<AuditScope> {
    const root = requested.tenantId ?? principal.tenantId;
    if (root !== principal.tenantId && !(await this.tenantAccess.canActIn(principal, root))) {
      await this.denied(principal, root, 'tenant outside the caller reach');
      throw AuditQueryErrors.tenantNotAllowed();
    }
    if (!requested.subtree) return { rootTenantId: root, tenantIds: [root], subtree: false };
    if (!roleAtLeast(principal.role, 'domain_admin')) {
      await this.denied(
        principal,
        root,
        `subtree read needs domain_admin, caller is ${principal.role}`,
      );
      throw AuditQueryErrors.subtreeNotAllowed();
    }
    // With the root set on the transaction, RLS on `tenants` shows exactly its subtree.
    const rows = await this.db.withTenant(root, (em) =>
      em.execute<{ id: string }[]>('select id from tenants order by id'),
    );
    return { rootTenantId: root, tenantIds: rows.map((r) => r.id), subtree: true };
  }

  /**
   * One page, newest first. Each tenant of the scope is read in its own transaction with
   * `limit + 1` rows past the cursor; the merge keeps the first `limit`, so a page is
   * correct across tenants and never holds more than tenants × (limit + 1) rows.
   */
  async page(
    scope: AuditScope,
    filter: AuditFilter,
    opts: { cursor?: string; limit?: number } = {},
  ): Promise<AuditPage> {
    const limit = Math.min(
      Math.max(opts.limit ?? AUDIT_LIST_DEFAULT_LIMIT, 1),
      Math.max(AUDIT_LIST_MAX_LIMIT, AUDIT_EXPORT_PAGE),
    );
    this.assertValidFilter(filter);
    const after = opts.cursor ? decodeCursor(opts.cursor) : null;
    const merged: AuditEventRow[] = [];
    for (const tenantId of scope.tenantIds) {
      const { where, params } = this.where(tenantId, filter, after);
      const rows = await this.db.withTenant(tenantId, (em) =>
        em.execute<AuditEventRow[]>(
          `select ${COLUMNS} from audit_events where ${where.join(' and ')}
            order by occurred_at desc, id desc limit ?`,
          [...params, limit + 1],
        ),
      );
      merged.push(...rows);
      // Only the newest limit + 1 across tenants can matter; drop the rest as we go.
      if (merged.length > limit + 1) merged.sort(newerFirst).splice(limit + 1);
    }
    merged.sort(newerFirst);
    const items = merged.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: merged.length > limit && last ? encodeCursor(last) : null };
  }

  /** 400 for a filter that can match nothing by construction (`from` not before `to`). */
  assertValidFilter(filter: AuditFilter): void {
    if (filter.from && filter.to && Date.parse(filter.from) >= Date.parse(filter.to))
      throw AuditQueryErrors.invalidTimeRange();
  }

  /** The slug of the scope's root tenant, for the export's file name (its id if unreadable). */
  async exportName(scope: AuditScope): Promise<string> {
    const rows = await this.db.withTenant(scope.rootTenantId, (em) =>
      em.execute<{ slug: string }[]>('select slug from tenants where id = ?', [scope.rootTenantId]),
    );
    return rows[0]?.slug ?? scope.rootTenantId;
  }

  /** Every matching row, page by page (one transaction per page and tenant), newest first. */
  async *all(scope: AuditScope, filter: AuditFilter): AsyncGenerator<AuditEventRow[]> {
    let cursor: string | undefined;
    do {
      const page = await this.page(scope, filter, { cursor, limit: AUDIT_EXPORT_PAGE });
      if (page.items.length) yield page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** The `audit.export` row (who exported which tenants with which filter), written before any data leaves. */
  async recordExport(
    principal: Principal,
    scope: AuditScope,
    filter: AuditFilter,
    format: AuditExportFormat,
  ): Promise<void> {
    await this.audit.record({
      action: 'audit.export',
      outcome: 'success',
      tenantId: principal.tenantId,
      actor: { type: 'user', id: principal.userId },
      credential: { type: 'access_token', id: principal.tokenId },
      target: { type: 'tenant', id: scope.rootTenantId },
      riskTier: 2,
      params: {
        format,
        subtree: scope.subtree,
        tenants: scope.tenantIds.length,
        filter: { ...filter },
      },
    });
  }

  private where(
    tenantId: string,
    f: AuditFilter,
    after: [string, string] | null,
  ): { where: string[]; params: unknown[] } {
    // tenant_id repeats what RLS enforces, so the (tenant_id, occurred_at desc, id) index serves the query.
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    if (f.from) {
      where.push('occurred_at >= cast(? as timestamptz)');
      params.push(f.from);
    }
    if (f.to) {
      where.push('occurred_at < cast(? as timestamptz)');
      params.push(f.to);
    }
    eq('actor_id', f.actorId);
    eq('actor_type', f.actorType);
    if (f.action?.endsWith('*')) {
      where.push(`action like ? escape '\\'`);
      params.push(`${f.action.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`);
    } else eq('action', f.action);
    eq('outcome', f.outcome);
    eq('decision', f.decision);
    eq('target_type', f.targetType);
    eq('target_id', f.targetId);
    if (after) {
      where.push('(occurred_at, id) < (cast(? as timestamptz), cast(? as uuid))');
      params.push(after[0], after[1]);
    }
    return { where, params };
  }

  private async denied(principal: Principal, tenantId: string, reason: string): Promise<void> {
    await this.audit.record({
      action: 'access.denied',
      decision: 'deny',
      outcome: 'failure',
      tenantId: principal.tenantId,
      actor: { type: 'user', id: principal.userId },
      credential: { type: 'access_token', id: principal.tokenId },
      target: { type: 'tenant', id: tenantId },
      reason,
    });
  }
}
