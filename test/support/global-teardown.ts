import { dropDatabase, EmbeddedPostgresHandle } from '@tessera/database';

export default async function globalTeardown(): Promise<void> {
  const admin = process.env.TEST_ADMIN_URL;
  const name = process.env.TEST_DATABASE_NAME;
  if (admin && name && process.env.TEST_KEEP_DATABASE !== '1') await dropDatabase(admin, name);
  const pg = (globalThis as Record<string, unknown>).__TESSERA_EMBEDDED_PG__ as EmbeddedPostgresHandle | undefined;
  await pg?.stop();
}
