import { dropDatabase, provisionDatabase, runMigrations } from '@tessera/database';
import { randomBytes } from 'node:crypto';

export interface ScratchDatabase {
  name: string;
  appUrl: string;
  ownerUrl: string;
  /** Superuser connection to this database (assertions, tampering). */
  superUrl: string;
  drop(): Promise<void>;
}

/**
 * A database of its own for a test file that needs a known-empty platform (first start,
 * bootstrap), migrated like the run's shared one. Same role passwords as the shared
 * database, so provisioning changes nothing for the other files running in parallel.
 */
export async function createScratchDatabase(prefix = 'tessera_scratch'): Promise<ScratchDatabase> {
  const admin = process.env.TEST_ADMIN_URL!;
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const provisioned = await provisionDatabase({
    adminUrl: admin,
    database: name,
    ownerPassword: decodeURIComponent(new URL(process.env.TEST_OWNER_DATABASE_URL!).password),
    appPassword: decodeURIComponent(new URL(process.env.TEST_APP_DATABASE_URL!).password),
    recreate: true,
  });
  await runMigrations(provisioned.ownerUrl);
  const superUrl = new URL(admin);
  superUrl.pathname = `/${name}`;
  return { name, ...provisioned, superUrl: superUrl.toString(), drop: () => dropDatabase(admin, name) };
}
