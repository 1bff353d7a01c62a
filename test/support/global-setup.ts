import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import pg from 'pg';

const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs once before the suite: half the tests run on PostgreSQL, so make sure it answers. On this kind of machine
 * the local cluster may be stopped; start it the way the machine's docs say, then wait for it.
 */
export default async function ensurePostgres(): Promise<void> {
  if (await reachable()) return;
  try {
    const version = readdirSync('/etc/postgresql')[0];
    execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`, { stdio: 'inherit' });
  } catch (err) {
    console.warn(`could not start PostgreSQL: ${(err as Error).message}`);
  }
  for (let i = 0; i < 30; i++) {
    if (await reachable()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL}; the PostgreSQL half of the suite needs it`);
}
