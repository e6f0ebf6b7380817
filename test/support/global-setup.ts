import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionDatabase, runMigrations, startEmbeddedPostgres } from '@tessera/database';

/**
 * One fresh database per test run. With DATABASE_URL set (CI: the local PostgreSQL) it is
 * used as an admin connection to create the database and the two roles; without it an
 * embedded PostgreSQL is started in a temporary folder. Migrations run as the owner, and
 * tests connect as the application role, exactly like the server.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    // The postgres OS user (when run as root) must be able to reach the data folder.
    chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres({ dataDir: dir, superPassword: 'tessera-test-super' });
    adminUrl = pg.adminUrl;
    (globalThis as Record<string, unknown>).__TESSERA_EMBEDDED_PG__ = pg;
  }
  const database = `tessera_test_${Date.now().toString(36)}_${process.pid}`;
  const urls = await provisionDatabase({
    adminUrl,
    database,
    ownerPassword: 'tessera-test-owner',
    appPassword: 'tessera-test-app',
    recreate: true,
  });
  await runMigrations(urls.ownerUrl);
  const adminDbUrl = new URL(adminUrl);
  adminDbUrl.pathname = `/${database}`;
  // Workers inherit these.
  process.env.TEST_ADMIN_URL = adminUrl;
  process.env.TEST_SUPERUSER_DB_URL = adminDbUrl.toString();
  process.env.TEST_APP_DATABASE_URL = urls.appUrl;
  process.env.TEST_OWNER_DATABASE_URL = urls.ownerUrl;
  process.env.TEST_DATABASE_NAME = database;
}
