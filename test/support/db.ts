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
