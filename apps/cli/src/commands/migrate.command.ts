import { Command, CommandRunner } from 'nest-commander';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { pendingMigrations, runMigrations } from '@tessera/database';

@Command({ name: 'migrate', description: 'Apply pending database migrations as the owner role (DATABASE_OWNER_URL)' })
export class MigrateCommand extends CommandRunner {
  constructor(@InjectConfig() private readonly config: TesseraConfig) {
    super();
  }

  async run(_params: string[], options: { dryRun?: boolean }): Promise<void> {
    const ownerUrl = this.config.database.ownerUrl;
    if (!ownerUrl) {
      console.error('DATABASE_OWNER_URL (the owner role) is required to run migrations.');
      process.exitCode = 2;
      return;
    }
    if (options?.dryRun) {
      const pending = await pendingMigrations(ownerUrl);
      console.log(pending.length ? `pending: ${pending.join(', ')}` : 'no pending migrations');
      return;
    }
    const applied = await runMigrations(ownerUrl);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  }
}
