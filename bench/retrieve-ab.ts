/**
 * Two versions of sluice side by side, for a change to the retrieve's hot path: both run at once (each on its
 * own PostgreSQL database, against one stand-in), and short blocks of 10-connection load alternate between
 * them, so that the machine's drift (other tenants of a shared VM move a single figure by ±30 %) hits both alike.
 *
 *   npx tsx bench/retrieve-ab.ts <checkout A> <checkout B> [blocks] [seconds per block]
 *
 * A checkout is a directory with sluice's code and its node_modules (e.g. `git worktree add ../base main` and a
 * symlink to this node_modules). It prints, for each, the median CPU µs per retrieve and req/s over the blocks,
 * and B's CPU per retrieve ÷ A's in each pair of blocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase } from '../dev/databases.js';
import { stopAllChildren } from './child-process.js';
import { cpuPerRequest, median, throughput, type Target } from './load-generators.js';
import { startStandin } from './other-systems.js';
import { pollingLoad } from './seed.js';
import { startSluice, writeSluiceConfig } from './sluice-process.js';

const [dirA, dirB] = [process.argv[2], process.argv[3]].map((d) => d && resolve(d));
if (!dirA || !dirB) throw new Error('usage: npx tsx bench/retrieve-ab.ts <checkout A> <checkout B> [blocks] [seconds]');
const blocks = Number(process.argv[4] ?? 10);
const seconds = Number(process.argv[5] ?? 3);
const MASTER_KEY = 'sk-bench-master';
const CONNECTIONS = 10;

const work = mkdtempSync(join(tmpdir(), 'sluice-ab-'));
const dbs = [await createTestDatabase('postgresql'), await createTestDatabase('postgresql')];
try {
  const standin = await startStandin(2);
  const systems: { name: string; cwd: string; pid: number; target: Target; micros: number[]; rps: number[] }[] = [];
  for (const [i, cwd] of [dirA, dirB].entries()) {
    const config = join(work, `sluice-${i}.yaml`);
    writeSluiceConfig(config, {
      upstreamUrls: standin.urls,
      upstreamKey: 'sk-upstream',
      masterKey: MASTER_KEY,
      databaseUrl: dbs[i].url,
      generalSettings: { batch_retrieve_max_age_ms: 0 },
    });
    const sluice = await startSluice(config, dbs[i].url, { cwd });
    const { target } = await pollingLoad(sluice.url, MASTER_KEY, dbs[i].url, CONNECTIONS);
    await throughput(target, CONNECTIONS, 2); // warm-up
    systems.push({ name: i === 0 ? 'A' : 'B', cwd, pid: sluice.pid, target, micros: [], rps: [] });
  }
  for (let block = 0; block < blocks; block++) {
    // Alternating which goes first, so neither always follows the other's load.
    for (const s of block % 2 === 0 ? systems : [...systems].reverse()) {
      const r = await cpuPerRequest([s.pid], s.target, CONNECTIONS, seconds);
      s.micros.push(r.micros);
      s.rps.push(r.rps);
    }
  }
  for (const s of systems) {
    console.log(
      `${s.name} (${s.cwd}): median ${median(s.micros).toFixed(0)} µs CPU per retrieve, ${Math.round(median(s.rps))} req/s ` +
        `(blocks: ${s.micros.map((m) => m.toFixed(0)).join(' ')})`,
    );
  }
  const ratios = systems[0].micros.map((a, i) => systems[1].micros[i] / a);
  console.log(`B ÷ A, CPU per retrieve: median ${median(ratios).toFixed(3)} (pairs: ${ratios.map((r) => r.toFixed(2)).join(' ')})`);
} finally {
  await stopAllChildren();
  for (const db of dbs) await db.drop();
  rmSync(work, { recursive: true, force: true });
}
