import { Client } from 'pg';
import { APP_ROLE, OWNER_ROLE } from './roles';

export interface ProvisionOptions {
  /** A role that may create roles and databases (superuser in the embedded default and tests). */
  adminUrl: string;
  database: string;
  ownerPassword: string;
  appPassword: string;
  /** Drop and recreate the database (tests: a fresh database per run). */
  recreate?: boolean;
}

export interface ProvisionedUrls {
  ownerUrl: string;
  appUrl: string;
}

function urlFor(adminUrl: string, user: string, password: string, database: string): string {
  const u = new URL(adminUrl);
  u.username = user;
  u.password = password;
  u.pathname = `/${database}`;
  return u.toString();
}

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Creates the owner and application roles and the database, idempotently. Operators on
 * managed PostgreSQL run the equivalent SQL by hand (README); this is for the embedded
 * default, tests and `cli db provision`.
 */
export async function provisionDatabase(o: ProvisionOptions): Promise<ProvisionedUrls> {
  if (!/^[a-z_][a-z0-9_]*$/.test(o.database)) throw new Error(`invalid database name ${o.database}`);
  const admin = new Client({ connectionString: o.adminUrl });
  await admin.connect();
  try {
    for (const [role, password, extra] of [
      [OWNER_ROLE, o.ownerPassword, 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'],
      [APP_ROLE, o.appPassword, 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT NOREPLICATION'],
    ] as const) {
      const exists = await admin.query('select 1 from pg_roles where rolname = $1', [role]);
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await admin.query(`${verb} ROLE ${role} LOGIN ${extra} PASSWORD ${quoteLiteral(password)}`);
    }
    const db = await admin.query('select 1 from pg_database where datname = $1', [o.database]);
    if (db.rowCount && o.recreate) {
      await admin.query(`DROP DATABASE ${o.database} WITH (FORCE)`);
    }
    if (!db.rowCount || o.recreate) {
      await admin.query(`CREATE DATABASE ${o.database} OWNER ${OWNER_ROLE} ENCODING 'UTF8' TEMPLATE template0`);
    }
    await admin.query(`REVOKE ALL ON DATABASE ${o.database} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${o.database} TO ${APP_ROLE}`);
    await admin.query(`GRANT ALL ON DATABASE ${o.database} TO ${OWNER_ROLE}`);
  } finally {
    await admin.end();
  }
  // Inside the new database: only the owner may create objects in public.
  const inDb = new Client({ connectionString: urlFor(o.adminUrl, new URL(o.adminUrl).username, decodeURIComponent(new URL(o.adminUrl).password), o.database) });
  await inDb.connect();
  try {
    await inDb.query(`ALTER SCHEMA public OWNER TO ${OWNER_ROLE}`);
    await inDb.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    await inDb.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
  } finally {
    await inDb.end();
  }
  return {
    ownerUrl: urlFor(o.adminUrl, OWNER_ROLE, o.ownerPassword, o.database),
    appUrl: urlFor(o.adminUrl, APP_ROLE, o.appPassword, o.database),
  };
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
