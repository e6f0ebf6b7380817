import { Logger } from '@nestjs/common';
import { TenantDb } from '@tessera/database';

interface Use {
  tenantId: string;
  at: Date;
  ip: string | null;
}

/**
 * `last_used_at` (and IP) without a database write per request: uses are kept in memory
 * and written every few seconds, one statement per tenant, only ever moving the value
 * forward (several instances flush independently). A crash loses at most one interval of
 * "last used" information, never a security decision.
 */
export class LastUsedRecorder {
  private readonly logger = new Logger('LastUsed');
  private pending = new Map<string, Use>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly db: TenantDb,
    private readonly table: 'api_keys' | 'oauth_clients',
    private readonly everyMs = 5_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  touch(id: string, tenantId: string, ip: string | null | undefined): void {
    this.pending.set(id, { tenantId, at: new Date(), ip: ip ?? null });
  }

  /** Writes what is pending (tests call it instead of waiting for the timer). */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async write(batch: Map<string, Use>): Promise<void> {
    const byTenant = new Map<string, [string, Use][]>();
    for (const entry of batch) {
      const list = byTenant.get(entry[1].tenantId) ?? [];
      list.push(entry);
      byTenant.set(entry[1].tenantId, list);
    }
    const ipColumn = this.table === 'api_keys' ? ', last_used_ip = v.ip::inet' : '';
    for (const [tenantId, uses] of byTenant) {
      try {
        await this.db.withTenant(tenantId, (em) =>
          em.execute(
            `update ${this.table} t set last_used_at = v.at${ipColumn}
               from unnest(?::uuid[], ?::timestamptz[], ?::text[]) as v(id, at, ip)
              where t.id = v.id and (t.last_used_at is null or t.last_used_at < v.at)`,
            [`{${uses.map(([id]) => id).join(',')}}`, `{${uses.map(([, u]) => `"${u.at.toISOString()}"`).join(',')}}`, `{${uses.map(([, u]) => (u.ip ? `"${u.ip}"` : 'NULL')).join(',')}}`],
          ),
        );
      } catch (err) {
        this.logger.warn({ err, table: this.table }, 'could not record last use');
      }
    }
  }
}
