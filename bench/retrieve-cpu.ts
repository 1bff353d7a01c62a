/**
 * CPU time per batch retrieve, of sluice and of the Portkey gateway: a figure that a busy machine disturbs far
 * less than req/s (it is what each system spends, not what it gets), for comparing changes to the hot path.
 *
 *   npx tsx bench/retrieve-cpu.ts [seconds] [workers]
 *   FLOOR=1 npx tsx bench/retrieve-cpu.ts …     also Fastify + undici alone (bench/floor-proxy.ts): the floor
 *
 * It prints, for each, the CPU time per retrieve at 10 connections and the p50 added at one connection.
 *
 * To compare a change, run it before and after, alternating: Portkey is the control for the machine's drift.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../dev/databases.js';
import { ensureBenchDependencies } from './bench-dependencies.js';
import { stopAllChildren } from './child-process.js';
import { Client } from 'undici';
import { cpuPerRequest, median, sequentialLatencies, throughput, type Target } from './load-generators.js';
import { startFloor, startPortkey, startStandin } from './other-systems.js';
import { pollingLoad } from './seed.js';
import { startSluice, writeSluiceConfig } from './sluice-process.js';

const seconds = Number(process.argv[2] ?? 5);
const workers = Number(process.argv[3] ?? 1);
const MASTER_KEY = 'sk-bench-master';
const UPSTREAM_KEY = 'sk-upstream';
const CONNECTIONS = 10;

async function measure(name: string, pids: number[], target: Target): Promise<void> {
  await throughput(target, CONNECTIONS, 1); // warm-up
  const r = await cpuPerRequest(pids, target, CONNECTIONS, seconds);
  console.log(
    `${name}: ${r.micros.toFixed(0)} µs CPU per retrieve (${r.ok} retrieves, ${Math.round(r.rps)} req/s, ${r.failures} failures)`,
  );
}

/** p50 at one connection, sequential keep-alive requests, sluice minus direct (alternating blocks of 1 s). */
async function addedLatency(sluice: Target, direct: Target): Promise<void> {
  const clients = { sluice: new Client(sluice.origin, { pipelining: 1 }), direct: new Client(direct.origin, { pipelining: 1 }) };
  const ms = { sluice: [] as number[], direct: [] as number[] };
  await sequentialLatencies(sluice, { count: 200 }, clients.sluice);
  await sequentialLatencies(direct, { count: 200 }, clients.direct);
  for (let block = 0; block < 4; block++) {
    ms.sluice.push(...(await sequentialLatencies(sluice, { seconds: 1 }, clients.sluice)));
    ms.direct.push(...(await sequentialLatencies(direct, { seconds: 1 }, clients.direct)));
  }
  await Promise.all([clients.sluice.close(), clients.direct.close()]);
  const [s, d] = [median(ms.sluice), median(ms.direct)];
  console.log(`added p50 at 1 connection: ${(s - d).toFixed(3)} ms (sluice ${s.toFixed(3)}, direct ${d.toFixed(3)})`);
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
    const { batches, target } = await pollingLoad(sluice.url, MASTER_KEY, db.url, CONNECTIONS);
    await measure(workers > 1 ? `sluice (${workers} workers)` : 'sluice', sluice.servingPids, target);
    const upstream = standin.urls[batches[0].deploymentIndex];
    const upstreamPaths = batches.map((b) => `/v1/batches/${b.providerBatchId}`);
    await addedLatency(
      { origin: sluice.url, path: target.path, headers: target.headers },
      {
        origin: new URL(upstream).origin,
        path: `/v1/batches/${batches[0].providerBatchId}`,
        headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
      },
    );
    await measure('portkey', [portkey.pid], {
      origin: portkey.url,
      path: upstreamPaths[0],
      paths: upstreamPaths,
      headers: portkey.headers(upstream, UPSTREAM_KEY),
    });
    if (process.env.FLOOR) {
      const floor = await startFloor([upstream]);
      await measure('floor (Fastify + undici)', [floor.pid], {
        origin: floor.url,
        path: upstreamPaths[0],
        paths: upstreamPaths,
        headers: {},
      });
      await addedLatency(
        { origin: floor.url, path: upstreamPaths[0], headers: {} },
        { origin: new URL(upstream).origin, path: upstreamPaths[0], headers: { authorization: `Bearer ${UPSTREAM_KEY}` } },
      );
      await floor.stop();
    }
    await sluice.stop();
  }
} finally {
  await stopAllChildren();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
