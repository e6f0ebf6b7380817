import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { AccountEvents, StepUpPolicy, roleAtLeast, TenantAccess } from '@tessera/auth';
import { isUuid, PLATFORM_TENANT_ID, PreTenantLookup, TenantDb } from '@tessera/database';
import { actorTenantId, auditActor, TenantActor } from './tenant-actor';
import { decodeCursor, encodeCursor } from './tenant-cursor';
import {
  PageRequest,
  TENANT_COLUMNS,
  TenantPage,
  TenantRecord,
  TenantRow,
  toTenantRecord,
} from './tenant-record';
import { cleanSettings, mergeSettings, sameSettings, TenantSettingsInput } from './tenant-settings';
import { isValidSlug, RESERVED_SLUGS, slugify, slugWithSuffix } from './tenant-slug';
import type { TenantStatus } from './tenant.entity';
import {
  InvalidSlugError,
  InvalidTenantNameError,
  ParentNotActiveError,
  SlugTakenError,
  TenantAccessDeniedError,
  tenantNotFound,
} from './tenants.errors';

export interface CreateTenantInput {
  name: string;
  slug?: string;
  parentId?: string;
  settings?: TenantSettingsInput;
}

export interface UpdateTenantInput {
  name?: string;
  status?: 'active' | 'suspended';
  settings?: TenantSettingsInput;
}

export interface TenantRecordInput {
  name: string;
  /** Explicit slug: taken → 409 slug-taken. Omitted: derived from the name, suffixed until free. */
  slug?: string;
  parentId: string;
  status: TenantStatus;
  settings?: TenantSettingsInput;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
const SLUG_ATTEMPTS = 6;

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === constraint;
}

function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23503';
}

function cleanName(name: unknown): string {
  const n = typeof name === 'string' ? name.normalize('NFKC').trim() : '';
  if (!n || n.length > 200 || /\p{Cc}/u.test(n)) {
    throw new InvalidTenantNameError();
  }
  return n;
}

/**
 * Narrows a transaction's tenant to `tenantId`, which must be visible from the current one
 * (itself or a descendant): e.g. after creating a child tenant, to write the child's own
 * rows (its audit chain, its first user) in the same transaction. It can only narrow:
 * a tenant outside the current subtree is invisible, and then this throws.
 */
export async function narrowToTenant(em: EntityManager, tenantId: string): Promise<void> {
  const visible = await em.execute<{ id: string }[]>('select id from tenants where id = ?', [
    tenantId,
  ]);
  if (!visible.length)
    throw new Error('narrowToTenant: the tenant is not visible from the current tenant');
  await em.execute(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
}

/**
 * Tenants: create, read, update, list children. Every method takes the actor explicitly
 * (a user principal from HTTP, or the CLI operator), so the API and the CLI share one code
 * path, one set of rules and one audit trail; nothing here needs a request.
 *
 * Two layers decide what an actor reaches: TenantAccess (the role rules: a tenant admin
 * acts in its own tenant only), and then every query runs in a transaction set to the
 * actor's OWN tenant, where RLS shows only its subtree. So even a missing application
 * check could not reach another tree. Rows of the target tenant's audit chain are written
 * after `narrowToTenant`, which only narrows within that subtree.
 */
@Injectable()
export class TenantsService {
  private readonly logger = new Logger('Tenants');

  constructor(
    private readonly db: TenantDb,
    private readonly access: TenantAccess,
    private readonly audit: AuditService,
    private readonly lookup: PreTenantLookup,
    private readonly events: AccountEvents,
    private readonly stepUp: StepUpPolicy,
  ) {}

  /**
   * A system admin (or the operator) creates a tenant under the platform root by default,
   * or under any tenant; a domain admin under its own tenant (default) or a descendant.
   * Admin-created tenants start active. Audited as `tenant.create` in the new tenant's chain.
   */
  async create(actor: TenantActor, input: CreateTenantInput): Promise<TenantRecord> {
    return this.denialsAudited(actor, async () => {
      if (actor.kind !== 'operator' && !roleAtLeast(actor.role, 'domain_admin')) {
        throw TenantAccessDeniedError.asForbidden(
          'You cannot create tenants.',
          `role ${actor.role} below domain_admin`,
          null,
        );
      }
      const name = cleanName(input.name);
      if (input.slug !== undefined && !isValidSlug(input.slug)) throw new InvalidSlugError();
      const parentId = input.parentId ?? actorTenantId(actor);
      if (actor.kind !== 'operator' && !(await this.access.canActIn(actor, parentId))) {
        // A system admin reaches every tenant, so for it the parent simply does not exist.
        if (roleAtLeast(actor.role, 'system_admin')) throw tenantNotFound();
        throw TenantAccessDeniedError.asForbidden(
          'You cannot create tenants under this parent.',
          "parent tenant outside the caller's subtree",
          isUuid(parentId) ? parentId : null,
        );
      }
      if (!isUuid(parentId)) throw tenantNotFound();
      return this.db.withTenant(actorTenantId(actor), async (em) => {
        const [parent] = await em.execute<{ status: TenantStatus }[]>(
          'select status from tenants where id = ?',
          [parentId],
        );
        if (!parent) throw tenantNotFound();
        if (parent.status !== 'active') throw new ParentNotActiveError();
        const tenant = await this.createTenantRecord(em, {
          name,
          slug: input.slug,
          parentId,
          status: 'active',
          settings: input.settings,
        });
        await narrowToTenant(em, tenant.id);
        await this.audit.record(
          {
            action: 'tenant.create',
            outcome: 'success',
            tenantId: tenant.id,
            ...auditActor(actor),
            target: { type: 'tenant', id: tenant.id },
            riskTier: 2,
            params: {
              name: tenant.name,
              slug: tenant.slug,
              parentId: tenant.parentId,
              status: tenant.status,
              ...(Object.keys(tenant.settings).length ? { settings: tenant.settings } : {}),
            },
          },
          em,
        );
        return tenant;
      });
    });
  }

  /** tenant_admin+ of the tenant itself, or a domain/system admin above it; anything else is 404. */
  async get(actor: TenantActor, id: string): Promise<TenantRecord> {
    return this.denialsAudited(actor, async () => {
      await this.assertCanAdminister(actor, id);
      const tenant = await this.db.withTenant(actorTenantId(actor), (em) =>
        this.findTenantRecord(em, id),
      );
      if (!tenant) throw tenantNotFound();
      return tenant;
    });
  }

  /** `get` by slug, with the same rules (the CLI names tenants by slug). */
  async getBySlug(actor: TenantActor, slug: string): Promise<TenantRecord> {
    const ref = isValidSlug(slug) ? await this.lookup.tenantBySlug(slug) : null;
    if (!ref) throw tenantNotFound();
    return this.get(actor, ref.id);
  }

  /**
   * Name and settings: tenant_admin+ of the tenant or an admin above it. Status: only a
   * domain/system admin above the tenant (never the tenant's own admins, whatever their
   * role), and never the platform root's. Audited as `tenant.update` with the changed fields.
   */
  async update(actor: TenantActor, id: string, input: UpdateTenantInput): Promise<TenantRecord> {
    return this.denialsAudited(actor, async () => {
      await this.assertCanAdminister(actor, id);
      if (input.status !== undefined) {
        if (id === PLATFORM_TENANT_ID) {
          throw TenantAccessDeniedError.asForbidden(
            "The platform root tenant's status cannot be changed.",
            'status change of the platform root',
            id,
          );
        }
        if (
          actor.kind !== 'operator' &&
          (!actor.permissions.has('tenants:suspend') || actor.tenantId === id)
        ) {
          throw TenantAccessDeniedError.asForbidden(
            'Only an administrator of a tenant above this one can change its status.',
            'status change of own tenant or below domain_admin',
            id,
          );
        }
      }
      // Every settings key weakens or strengthens a security control: it is a tier-3 change
      // (tenants:security; step-up for a person), whatever PATCH's own tier-2 declaration.
      if (input.settings !== undefined && actor.kind !== 'operator' && Object.keys(input.settings).length) {
        if (!actor.permissions.has('tenants:security')) {
          throw TenantAccessDeniedError.asForbidden(
            "Changing a tenant's security settings needs the tenants:security permission.",
            'missing permission tenants:security',
            id,
          );
        }
        await this.stepUp.assert(actor, 3);
      }
      const name = input.name === undefined ? undefined : cleanName(input.name);
      const result = await this.db.withTenant(actorTenantId(actor), async (em) => {
        const [row] = await em.execute<TenantRow[]>(
          `select ${TENANT_COLUMNS} from tenants where id = ? for update`,
          [id],
        );
        if (!row) throw tenantNotFound();
        const before = toTenantRecord(row);
        const after = {
          name: name ?? before.name,
          status: input.status ?? before.status,
          settings:
            input.settings === undefined
              ? cleanSettings(before.settings)
              : mergeSettings(before.settings, input.settings),
        };
        const params: Record<string, unknown> = {};
        const previous: Record<string, unknown> = {};
        if (after.name !== before.name) [params.name, previous.name] = [after.name, before.name];
        if (after.status !== before.status)
          [params.status, previous.status] = [after.status, before.status];
        if (!sameSettings(after.settings, before.settings))
          [params.settings, previous.settings] = [after.settings, before.settings];
        // Nothing changes → nothing is written, and there is no event to audit.
        if (!Object.keys(params).length) return before;
        const [updated] = await em.execute<TenantRow[]>(
          `update tenants set name = ?, status = ?, settings = cast(? as jsonb) where id = ? returning ${TENANT_COLUMNS}`,
          [after.name, after.status, JSON.stringify(after.settings), id],
        );
        await narrowToTenant(em, id);
        await this.audit.record(
          {
            action: 'tenant.update',
            outcome: 'success',
            tenantId: id,
            ...auditActor(actor),
            target: { type: 'tenant', id },
            riskTier: 'status' in params ? 3 : 2,
            params: { ...params, previous },
          },
          em,
        );
        return toTenantRecord(updated);
      });
      // After commit: a suspended tenant's sessions end everywhere (the Sessions module listens).
      if (input.status === 'suspended' && result.status === 'suspended') {
        await this.events.publish({ type: 'tenant.suspended', tenantId: id });
      }
      if (name !== undefined) await this.events.publish({ type: 'tenant.profile_changed', tenantId: id });
      return result;
    });
  }

  /** Direct children, oldest first, keyset-paginated on (created_at, id). Same access as `get`. */
  async children(actor: TenantActor, id: string, page: PageRequest = {}): Promise<TenantPage> {
    return this.denialsAudited(actor, async () => {
      await this.assertCanAdminister(actor, id);
      const limit = Math.min(Math.max(Math.trunc(page.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
      const after = page.cursor ? decodeCursor(page.cursor) : null;
      return this.db.withTenant(actorTenantId(actor), async (em) => {
        const exists = await em.execute('select 1 from tenants where id = ?', [id]);
        if (!exists.length) throw tenantNotFound();
        const rows = after
          ? await em.execute<TenantRow[]>(
              `select ${TENANT_COLUMNS} from tenants
                where parent_id = ? and (tenants.created_at, tenants.id) > (cast(? as timestamptz), cast(? as uuid))
                order by tenants.created_at, tenants.id limit ?`,
              [id, after.createdAt, after.id, limit + 1],
            )
          : await em.execute<TenantRow[]>(
              `select ${TENANT_COLUMNS} from tenants where parent_id = ? order by tenants.created_at, tenants.id limit ?`,
              [id, limit + 1],
            );
        const more = rows.length > limit;
        const items = rows.slice(0, limit);
        const last = items[items.length - 1];
        return {
          items: items.map(toTenantRecord),
          nextCursor:
            more && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
        };
      });
    });
  }

  /**
   * Every tenant the actor's tenant can see (its subtree; everything for the operator),
   * shallowest first. For operator listings (CLI); not paginated.
   */
  async subtree(actor: TenantActor): Promise<TenantRecord[]> {
    return this.db.withTenant(actorTenantId(actor), async (em) => {
      const rows = await em.execute<TenantRow[]>(
        `select ${TENANT_COLUMNS} from tenants order by cardinality(path), tenants.created_at, tenants.id`,
      );
      return rows.map(toTenantRecord);
    });
  }

  /**
   * Inserts a tenant inside the caller's transaction, without access checks or audit (the
   * caller does both): for sign-up and the CLI. The transaction's tenant must be the
   * parent or one of its ancestors: the path trigger reads the parent, and RLS checks
   * that the new row's path contains the current tenant. Use `narrowToTenant(em, id)`
   * afterwards to write rows of the new tenant in the same transaction.
   */
  async createTenantRecord(em: EntityManager, input: TenantRecordInput): Promise<TenantRecord> {
    const name = cleanName(input.name);
    const explicit = input.slug !== undefined;
    if (explicit && !isValidSlug(input.slug)) throw new InvalidSlugError();
    if (explicit && RESERVED_SLUGS.has(input.slug!)) throw new SlugTakenError(input.slug!);
    const base = slugify(name);
    let slug = explicit ? input.slug! : RESERVED_SLUGS.has(base) ? slugWithSuffix(base) : base;
    const settings = JSON.stringify(cleanSettings(input.settings));
    for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
      // A savepoint, so a slug collision leaves the caller's transaction usable for a retry.
      await em.execute('savepoint tenant_insert');
      try {
        const [row] = await em.execute<TenantRow[]>(
          `insert into tenants (parent_id, slug, name, status, settings) values (?, ?, ?, ?, cast(? as jsonb))
           returning ${TENANT_COLUMNS}`,
          [input.parentId, slug, name, input.status, settings],
        );
        await em.execute('release savepoint tenant_insert');
        return toTenantRecord(row);
      } catch (err) {
        await em.execute('rollback to savepoint tenant_insert');
        // The trigger raises 23503 when the parent is not visible from this transaction.
        if (isForeignKeyViolation(err)) throw tenantNotFound();
        if (!isUniqueViolation(err, 'tenants_slug_key')) throw err;
        if (explicit) throw new SlugTakenError(slug);
        slug = slugWithSuffix(base);
      }
    }
    throw new SlugTakenError(slug);
  }

  /** A tenant visible in the caller's transaction, or null. For other modules (sign-up, users). */
  async findTenantRecord(em: EntityManager, id: string): Promise<TenantRecord | null> {
    if (!isUuid(id)) return null;
    const [row] = await em.execute<TenantRow[]>(
      `select ${TENANT_COLUMNS} from tenants where id = ?`,
      [id],
    );
    return row ? toTenantRecord(row) : null;
  }

  /**
   * tenant_admin+ acting in its own tenant, or a domain/system admin acting in a
   * descendant (TenantAccess). Otherwise 404: a 403 would confirm that the id exists.
   */
  private async assertCanAdminister(actor: TenantActor, id: string): Promise<void> {
    if (actor.kind === 'operator') return;
    if (!roleAtLeast(actor.role, 'tenant_admin')) {
      throw TenantAccessDeniedError.asForbidden(
        'You are not allowed to do this.',
        `role ${actor.role} below tenant_admin`,
        isUuid(id) ? id : null,
      );
    }
    if (!(await this.access.canActIn(actor, id))) {
      throw TenantAccessDeniedError.asNotFound(
        "tenant outside the caller's reach",
        isUuid(id) ? id : null,
      );
    }
  }

  /**
   * Runs `fn`; a refusal it raises is audited as `access.denied` in the actor's own chain,
   * in a transaction of its own (the refused operation's transaction, if any, has rolled back).
   */
  private async denialsAudited<T>(actor: TenantActor, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof TenantAccessDeniedError) {
        try {
          await this.audit.record({
            action: 'access.denied',
            decision: 'deny',
            outcome: 'failure',
            tenantId: actorTenantId(actor),
            ...auditActor(actor),
            target: err.targetId ? { type: 'tenant', id: err.targetId } : undefined,
            reason: err.reason,
          });
        } catch (auditErr) {
          // The refusal stands whatever happens to its audit row.
          this.logger.error({ err: auditErr }, 'could not audit a denied request');
        }
      }
      throw err;
    }
  }
}
