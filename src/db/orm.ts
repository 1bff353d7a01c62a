import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { NodeSqliteDialect, SqliteDriver, type EntityManager } from '@mikro-orm/sql';
import { entities } from './entities/index.js';
import { postgresqlMigrations } from './migrations/postgresql/index.js';
import { sqliteMigrations } from './migrations/sqlite/index.js';

export type Dialect = 'postgresql' | 'sqlite';
export type Database = { orm: MikroORM<any, any, any>; dialect: Dialect; em: () => EntityManager; close: () => Promise<void> };

export const DEFAULT_SQLITE_PATH = './data/sluice.sqlite';

/** `postgres://…` / `postgresql://…` choose PostgreSQL; anything else is a SQLite file path (or `:memory:`). */
export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgresql' : 'sqlite';
}

type InitOptions = NonNullable<Parameters<typeof MikroORM.init>[0]>;

export function ormOptions(url: string): InitOptions {
  const common = {
    entities,
    extensions: [Migrator],
    // Entities are defined with defineEntity: no reflection, no decorators, nothing to discover at run time.
    discovery: { warnWhenNoEntities: false },
    debug: false,
    allowGlobalContext: false,
    forceUtcTimezone: true,
  };
  if (dialectOf(url) === 'postgresql') {
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: url,
      pool: { min: 0, max: 10 },
      migrations: { migrationsList: postgresqlMigrations, transactional: true, snapshot: false, silent: true },
    } as InitOptions;
  }
  const file = url.replace(/^sqlite:(\/\/)?/i, '');
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  return {
    ...common,
    driver: SqliteDriver,
    dbName: file,
    driverOptions: new NodeSqliteDialect(file),
    migrations: { migrationsList: sqliteMigrations, transactional: true, snapshot: false, silent: true },
  } as InitOptions;
}

/** Opens the database and brings its schema up to date (migrations run at every start; they are idempotent). */
export async function openDatabase(url: string, { migrate = true } = {}): Promise<Database> {
  const orm = await MikroORM.init(ormOptions(url));
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') {
    // WAL lets readers proceed while the single writer commits; busy_timeout waits out another process's write.
    await orm.em.getConnection().execute('pragma journal_mode = wal');
    await orm.em.getConnection().execute('pragma busy_timeout = 5000');
  }
  if (migrate) await orm.migrator.up();
  return {
    orm,
    dialect,
    em: () => orm.em.fork() as unknown as EntityManager,
    close: () => orm.close(true),
  };
}
