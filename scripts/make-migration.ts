/**
 * Writes a new migration for each dialect from the difference between the entities and the last migration:
 *   npm exec -- tsx scripts/make-migration.ts
 * PostgreSQL must be reachable (DATABASE_URL_PG, default postgres://postgres@127.0.0.1:5432/sluice_migrations).
 */
import { MikroORM } from '@mikro-orm/core';
import { ormOptions } from '../src/db/orm.js';

const targets = [
  { dialect: 'postgresql', url: process.env.DATABASE_URL_PG ?? 'postgres://postgres@127.0.0.1:5432/sluice_migrations' },
  { dialect: 'sqlite', url: ':memory:' },
];
for (const t of targets) {
  const options = ormOptions(t.url);
  const orm = await MikroORM.init({
    ...options,
    migrations: { ...options.migrations, path: `src/db/migrations/${t.dialect}`, emit: 'ts', snapshot: false },
  });
  if (t.dialect === 'postgresql') await orm.schema.ensureDatabase();
  await orm.migrator.up();
  const result = await orm.migrator.create();
  console.log(t.dialect, result.fileName || '(no changes)');
  await orm.migrator.down({ to: 0 }).catch(() => undefined);
  await orm.close(true);
}
