/**
 * Two versions of sluice side by side, for a change to the managed upload: both run at once (each on its own
 * PostgreSQL database, against one stand-in with two deployments), and 200 MB REST uploads alternate between
 * them (A B, then B A, …), so that the machine's drift hits both alike. A single run of bench/upload-ratio.ts
 * moves by ±15 % from one minute to the next on a shared VM: too much to see a 5 % change.
 *
 *   npx tsx bench/upload-ab.ts <checkout A> <checkout B> [pairs] [lines]     (defaults: 8 pairs, 50,000 lines)
 *
 * A checkout is as for bench/retrieve-ab.ts. It prints, for each, the median seconds and sluice CPU seconds per
 * upload, and B's CPU ÷ A's and B's time ÷ A's in each pair.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from '../dev/databases.js';
import { cpuMicros, stopAllChildren } from './child-process.js';
import { median } from './load-generators.js';
import { startStandin } from './other-systems.js';
import { createVirtualKey } from './seed.js';
import { MODEL_GROUP, startSluice, writeSluiceConfig } from './sluice-process.js';
import { multipartUpload, writeBatchInput } from './uploads.js';

const [dirA, dirB] = [process.argv[2], process.argv[3]].map((d) => d && resolve(d));
if (!dirA || !dirB) throw new Error('usage: npx tsx bench/upload-ab.ts <checkout A> <checkout B> [pairs] [lines]');
const pairs = Number(process.argv[4] ?? 8);
const lines = Number(process.argv[5] ?? 50_000);
const MASTER_KEY = 'sk-bench-master';

const work = mkdtempSync(join(tmpdir(), 'sluice-upload-ab-'));
const dbs = [await createTestDatabase('postgresql'), await createTestDatabase('postgresql')];
try {
  const standin = await startStandin(2);
  const file = join(work, 'input.jsonl');
  await writeBatchInput(file, lines);
  const systems: {
    name: string;
    cwd: string;
    upload: () => Promise<unknown>;
    cpu: () => number;
    seconds: number[];
    cpuSeconds: number[];
  }[] = [];
  for (const [i, cwd] of [dirA, dirB].entries()) {
    const config = join(work, `sluice-${i}.yaml`);
    writeSluiceConfig(config, { upstreamUrls: standin.urls, upstreamKey: 'sk-upstream', masterKey: MASTER_KEY, databaseUrl: dbs[i].url });
    const sluice = await startSluice(config, dbs[i].url, { cwd });
    const key = await createVirtualKey(sluice.url, MASTER_KEY);
    const upload = () =>
      multipartUpload(
        `${sluice.url}/v1/files`,
        { authorization: `Bearer ${key}` },
        { purpose: 'batch', target_model_names: MODEL_GROUP },
        file,
      );
    await upload(); // warm-up
    const cpu = () => sluice.servingPids.reduce((sum, pid) => sum + cpuMicros(pid), 0) / 1e6;
    systems.push({ name: i === 0 ? 'A' : 'B', cwd, upload, cpu, seconds: [], cpuSeconds: [] });
  }
  for (let pair = 0; pair < pairs; pair++) {
    for (const s of pair % 2 === 0 ? systems : [...systems].reverse()) {
      await sleep(500); // the previous upload's garbage goes, for both alike
      const cpuBefore = s.cpu();
      const started = performance.now();
      await s.upload();
      s.seconds.push((performance.now() - started) / 1000);
      s.cpuSeconds.push(s.cpu() - cpuBefore);
    }
    console.log(
      `pair ${pair + 1}: ${systems.map((s) => `${s.name} ${s.seconds.at(-1)!.toFixed(2)} s (CPU ${s.cpuSeconds.at(-1)!.toFixed(2)} s)`).join(', ')}`,
    );
  }
  for (const s of systems) {
    console.log(`${s.name} (${s.cwd}): median ${median(s.seconds).toFixed(2)} s, CPU ${median(s.cpuSeconds).toFixed(2)} s per upload`);
  }
  const ratio = (pick: (s: (typeof systems)[number]) => number[]) => {
    const r = pick(systems[0]).map((a, i) => pick(systems[1])[i] / a);
    return `median ${median(r).toFixed(3)} (pairs: ${r.map((x) => x.toFixed(2)).join(' ')})`;
  };
  console.log(`B ÷ A, CPU per upload: ${ratio((s) => s.cpuSeconds)}`);
  console.log(`B ÷ A, time per upload: ${ratio((s) => s.seconds)}`);
} finally {
  await stopAllChildren();
  for (const db of dbs) await db.drop();
  rmSync(work, { recursive: true, force: true });
}
