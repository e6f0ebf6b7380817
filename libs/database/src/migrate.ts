import { MikroORM } from '@mikro-orm/postgresql';
import { baseOrmOptions } from './orm-options';

/** Applies pending migrations as the owner role. Returns the names applied. */
export async function runMigrations(ownerUrl: string): Promise<string[]> {
  const orm = await MikroORM.init({ ...baseOrmOptions(ownerUrl, 2), entities: [] });
  try {
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

export async function pendingMigrations(ownerUrl: string): Promise<string[]> {
  const orm = await MikroORM.init({ ...baseOrmOptions(ownerUrl, 2), entities: [] });
  try {
    return (await orm.getMigrator().getPendingMigrations()).map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}
