import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { TenantDb } from '@tessera/database';

/** Sessions deleted per statement: short row locks, bounded WAL per transaction. */
const PURGE_BATCH = 1000;
/** A pass stops after this many batches (the next pass goes on): never an unbounded loop. */
const MAX_BATCHES_PER_PASS = 1000;

export interface PurgeResult {
  deleted: number;
  byTenant: Record<string, number>;
}

/**
 * Deletes sessions that ended (revoked, or past their idle or absolute end) more than
 * SESSION_RETENTION_DAYS ago, with their refresh tokens, in batches
 * (`purge_ended_sessions`, migration 20261124000073). Live sessions are never touched, so
 * refresh-token reuse detection is unchanged for every session that can still be used.
 * Runs every SESSION_PURGE_INTERVAL_MINUTES on every instance (passes at once are harmless),
 * and from the CLI (`sessions purge`). Each pass that deletes something
 * writes one `session.purge` audit row per tenant with the count.
 */
@Injectable()
export class SessionRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SessionRetention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @InjectConfig() private readonly config: TesseraConfig,
    private readonly db: TenantDb,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    const { days, checkIntervalMinutes } = this.config.sessionRetention;
    if (days === 0) return;
    // No pass at start-up (the CLI boots this module too, `migrate` before the table exists);
    // instances started together spread their passes over the first interval.
    const intervalMs = checkIntervalMinutes * 60_000;
    const first = setTimeout(() => {
      this.tick();
      this.timer = setInterval(() => this.tick(), intervalMs);
      this.timer.unref();
    }, intervalMs + Math.floor(Math.random() * intervalMs));
    first.unref();
    this.timer = first;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Ended more than `retentionDays` ago → deleted. `actor`: who asked (the CLI's operator), else the system. */
  async purge(retentionDays = this.config.sessionRetention.days, actor?: { type: 'operator'; id: string }): Promise<PurgeResult> {
    if (!Number.isInteger(retentionDays) || retentionDays < 0) throw new RangeError('retention days must be a whole number ≥ 0');
    const byTenant: Record<string, number> = {};
    let deleted = 0;
    for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
      const rows = await this.db.statement<{ tenant_id: string; deleted: number }[]>('select * from purge_ended_sessions(?, ?)', [
        retentionDays * 86_400,
        PURGE_BATCH,
      ]);
      let batch = 0;
      for (const r of rows) {
        byTenant[r.tenant_id] = (byTenant[r.tenant_id] ?? 0) + r.deleted;
        batch += r.deleted;
      }
      deleted += batch;
      if (batch < PURGE_BATCH) break;
    }
    for (const [tenantId, count] of Object.entries(byTenant)) {
      await this.audit.record({
        action: 'session.purge',
        outcome: 'success',
        tenantId,
        actor: actor ?? { type: 'system' },
        ...(actor ? { credential: { type: 'cli' as const } } : {}),
        target: { type: 'tenant', id: tenantId },
        params: { deleted: count, retentionDays },
        reason: `sessions ended more than ${retentionDays} days ago, with their refresh tokens`,
      });
    }
    return { deleted, byTenant };
  }

  private tick(): void {
    this.running ??= this.purge()
      .then(
        (r) => {
          if (r.deleted) this.logger.log(`purged ${r.deleted} ended sessions (retention ${this.config.sessionRetention.days} days)`);
        },
        (err: unknown) => this.logger.error(`session purge failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
