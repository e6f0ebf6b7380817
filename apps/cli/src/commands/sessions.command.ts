import { InjectConfig, TesseraConfig } from '@tessera/config';
import { SessionRetention } from '@tessera/sessions';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { operatorActor } from './tenants.command';

@SubCommand({
  name: 'purge',
  description:
    'Delete sessions that ended (revoked or expired) more than N days ago, with their refresh tokens (default SESSION_RETENTION_DAYS)',
})
export class SessionsPurgeCommand extends CommandRunner {
  constructor(
    private readonly retention: SessionRetention,
    @InjectConfig() private readonly config: TesseraConfig,
  ) {
    super();
  }

  @Option({ flags: '--retention-days <days>', description: 'ended more than this many days ago (a whole number ≥ 0)' })
  parseDays(value: string): string {
    return value;
  }

  async run(_params: string[], options: { retentionDays?: string } = {}): Promise<void> {
    const raw = options.retentionDays;
    if (raw !== undefined && !/^\d{1,4}$/.test(raw)) {
      console.error(`--retention-days must be a whole number of days ≥ 0, got "${raw}"`);
      process.exitCode = 1;
      return;
    }
    const days = raw === undefined ? this.config.sessionRetention.days : Number(raw);
    const { id } = operatorActor();
    const r = await this.retention.purge(days, { type: 'operator', id: id ?? 'operator' });
    const tenants = Object.keys(r.byTenant).length;
    console.log(`deleted ${r.deleted} session${r.deleted === 1 ? '' : 's'} that ended more than ${days} days ago, in ${tenants} tenant${tenants === 1 ? '' : 's'}`);
  }
}

@Command({ name: 'sessions', description: 'Session maintenance', subCommands: [SessionsPurgeCommand] })
export class SessionsCommand extends CommandRunner {
  async run(): Promise<void> {
    console.log('usage: sessions purge [--retention-days N]');
  }
}
