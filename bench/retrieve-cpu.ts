/**
 * CPU time per batch retrieve, of sluice and of the Portkey gateway: a figure that a busy machine disturbs far
 * less than req/s (it is what each system spends, not what it gets), for comparing changes to the hot path.
 *
 *   npx tsx bench/retrieve-cpu.ts [seconds] [workers]
 *
 * To compare a change, run it before and after, alternating: Portkey is the control for the machine's drift.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../dev/databases.js';
import { ensureBenchDependencies } from './bench-dependencies.js';
import { stopAllChildren } from './child-process.js';
import { throughput, type Target } from './load-generators.js';
import { startPortkey, startStandin } from './other-systems.js';
import { createRunningBatch, createVirtualKey } from './seed.js';
import { startSluice, writeSluiceConfig } from './sluice-process.js';

const seconds = Number(process.argv[2] ?? 5);
const workers = Number(process.argv[3] ?? 1);
const MASTER_KEY = 'sk-bench-master';
const UPSTREAM_KEY = 'sk-upstream';
const CONNECTIONS = 10;

/** utime + stime of a process, in µs (Linux /proc; clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

async function measure(name: string, pids: number[], target: Target): Promise<void> {
  await throughput(target, CONNECTIONS, 1); // warm-up
  const cpu = () => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const before = cpu();
  const r = await throughput(target, CONNECTIONS, seconds);
  const used = cpu() - before;
  console.log(
    `${name}: ${(used / r.ok).toFixed(0)} µs CPU per retrieve (${r.ok} retrieves, ${Math.round(r.rps)} req/s, ${r.failures} failures)`,
  );
}

await ensureBenchDependencies();
const work = mkdtempSync(join(tmpdir(), 'sluice-cpu-'));
const db = await createTestDatabase('postgresql');
try {
  const standin = await startStandin(2);
  const config = join(work, 'sluice.yaml');
  writeSluiceConfig(config, {
    upstreamUrls: standin.urls,
    upstreamKey: UPSTREAM_KEY,
    masterKey: MASTER_KEY,
    databaseUrl: db.url,
    generalSettings: { batch_retrieve_max_age_ms: 0 },
  });
  const portkey = await startPortkey();
  for (let round = 0; round < 2; round++) {
    const sluice = await startSluice(config, db.url, { workers });
    const key = await createVirtualKey(sluice.url, MASTER_KEY);
    const batches = [];
    for (let i = 0; i < CONNECTIONS; i++) batches.push(await createRunningBatch(sluice.url, key, db.url));
    const paths = batches.map((b) => `/v1/batches/${b.id}`);
    await measure(workers > 1 ? `sluice (${workers} workers)` : 'sluice', sluice.servingPids, {
      origin: sluice.url,
      path: paths[0],
      paths,
      headers: { authorization: `Bearer ${key}` },
    });
    const upstream = standin.urls[batches[0].deploymentIndex];
    const upstreamPaths = batches.map((b) => `/v1/batches/${b.providerBatchId}`);
    await measure('portkey', [portkey.pid], {
      origin: portkey.url,
      path: upstreamPaths[0],
      paths: upstreamPaths,
      headers: portkey.headers(upstream, UPSTREAM_KEY),
    });
    await sluice.stop();
  }
} finally {
  await stopAllChildren();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
