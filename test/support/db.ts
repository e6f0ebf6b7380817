import { Client } from 'pg';

/** A direct connection for assertions: as the superuser (sees everything) or another role. */
export async function sql<T extends Record<string, unknown> = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
  url = process.env.TEST_SUPERUSER_DB_URL!,
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Holds row locks in an open transaction (as the superuser) until `release()`: a test's way
 * to keep a request's statement waiting in PostgreSQL while others queue up behind it.
 */
export async function holdRowLocks(lockSql: string, params: unknown[] = []): Promise<{ release: () => Promise<void> }> {
  const client = new Client({ connectionString: process.env.TEST_SUPERUSER_DB_URL! });
  await client.connect();
  await client.query('begin');
  await client.query(lockSql, params);
  return {
    release: async () => {
      await client.query('rollback');
      await client.end();
    },
  };
}
