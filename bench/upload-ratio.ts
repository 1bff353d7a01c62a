/**
 * The managed upload over REST ÷ a direct upload of the same file, alone: a quicker check than the full run when
 * changing the upload path (the full run's `upload.ratio` is the figure of record).
 *
 *   npx tsx bench/upload-ratio.ts [rounds] [lines]     (defaults: 5 rounds, 50,000 lines = 200 MB)
 *   FLOOR=1 npx tsx bench/upload-ratio.ts …          also the floor: the bytes sent on to both upstreams unparsed
 *   PROFILE=1 npx tsx bench/upload-ratio.ts …        sluice under --cpu-prof: prints the top frames of its uploads
 *   VIA=grpc npx tsx bench/upload-ratio.ts …         sluice's uploads over gRPC (FileService.UploadFile) instead
 *
 * Each round uploads the file straight to the stand-in and through sluice, alternating which goes first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from '../dev/databases.js';
import { ensureBenchDependencies } from './bench-dependencies.js';
import { cpuMicros, cpuMicrosByThread, stopAllChildren, threadShares } from './child-process.js';
import { formatTopFrames, summariseCpuProfile } from './cpu-profile.js';
import { median } from './load-generators.js';
import { startFloor, startStandin } from './other-systems.js';
import { createVirtualKey } from './seed.js';
import { MODEL_GROUP, startSluice, writeSluiceConfig } from './sluice-process.js';
import { grpcUpload, multipartUpload, writeBatchInput } from './uploads.js';
import { createSluiceGrpcClient } from '../clients/grpc/index.js';

const rounds = Number(process.argv[2] ?? 5);
const lines = Number(process.argv[3] ?? 50_000);
const MASTER_KEY = 'sk-bench-master';
const UPSTREAM_KEY = 'sk-upstream';

await ensureBenchDependencies();
const work = mkdtempSync(join(tmpdir(), 'sluice-upload-'));
const db = await createTestDatabase('postgresql');
try {
  const standin = await startStandin(2);
  const config = join(work, 'sluice.yaml');
  writeSluiceConfig(config, { upstreamUrls: standin.urls, upstreamKey: UPSTREAM_KEY, masterKey: MASTER_KEY, databaseUrl: db.url });
  const profileDir = process.env.PROFILE ? join(work, 'profiles') : undefined;
  const sluice = await startSluice(config, db.url, { cpuProfileDir: profileDir });
  const key = await createVirtualKey(sluice.url, MASTER_KEY);
  const sluiceCpuSeconds = () => sluice.servingPids.reduce((sum, pid) => sum + cpuMicros(pid), 0) / 1e6;
  const grpc = createSluiceGrpcClient(sluice.grpcAddress, key); // VIA=grpc: sluice's uploads go over gRPC
  const file = join(work, 'input.jsonl');
  const bytes = await writeBatchInput(file, lines);
  const upload = {
    direct: () => multipartUpload(`${standin.urls[0]}/files`, { authorization: `Bearer ${UPSTREAM_KEY}` }, { purpose: 'batch' }, file),
    sluice: () =>
      process.env.VIA === 'grpc'
        ? grpcUpload(grpc, file)
        : multipartUpload(
            `${sluice.url}/v1/files`,
            { authorization: `Bearer ${key}` },
            { purpose: 'batch', target_model_names: MODEL_GROUP },
            file,
          ),
  };
  // FLOOR=1: also Fastify + undici alone sending the bytes on to both upstreams unparsed (bench/floor-proxy.ts).
  const floor = process.env.FLOOR ? await startFloor(standin.urls) : undefined;
  const floorUrl = floor && `${floor.url}/v1/files`;
  await upload.sluice(); // warm-up
  const nowUs = () => Number(process.hrtime.bigint() / 1000n); // the profiler's clock
  const profiled = { from: nowUs(), to: 0 };
  const times = { direct: [] as number[], sluice: [] as number[], floor: [] as number[] };
  const cpu: number[] = [];
  const threads: string[] = []; // sluice's CPU in each upload by kind of thread
  // The CPU the client (this process) and the stand-in spent meanwhile: on 2 cores, their share and sluice's add up.
  const others = { direct: [] as { client: number; standin: number }[], sluice: [] as { client: number; standin: number }[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['direct', 'sluice'] as const) : (['sluice', 'direct'] as const);
    for (const kind of order) {
      await sleep(500);
      const started = performance.now();
      const cpuBefore = { sluice: sluiceCpuSeconds(), standin: cpuMicros(standin.pid), client: process.cpuUsage() };
      const threadsBefore = cpuMicrosByThread(sluice.servingPids[0]);
      await upload[kind]();
      if (kind === 'sluice') {
        cpu.push(sluiceCpuSeconds() - cpuBefore.sluice);
        threads.push(threadShares(threadsBefore, cpuMicrosByThread(sluice.servingPids[0])));
      }
      const clientCpu = process.cpuUsage(cpuBefore.client);
      others[kind].push({ client: (clientCpu.user + clientCpu.system) / 1e6, standin: (cpuMicros(standin.pid) - cpuBefore.standin) / 1e6 });
      times[kind].push((performance.now() - started) / 1000);
    }
    if (floorUrl) {
      await sleep(500);
      const started = performance.now();
      await multipartUpload(floorUrl, {}, { purpose: 'batch' }, file);
      times.floor.push((performance.now() - started) / 1000);
    }
    const spent = (kind: 'direct' | 'sluice') =>
      `client ${others[kind].at(-1)?.client.toFixed(2)}, stand-in ${others[kind].at(-1)?.standin.toFixed(2)}`;
    console.log(
      `round ${round + 1}: direct ${times.direct.at(-1)?.toFixed(2)} s (CPU ${spent('direct')}), sluice ${times.sluice.at(-1)?.toFixed(2)} s (CPU sluice ${cpu.at(-1)?.toFixed(2)} [${threads.at(-1)}], ${spent('sluice')})${floorUrl ? `, floor ${times.floor.at(-1)?.toFixed(2)} s` : ''}`,
    );
  }
  if (floorUrl)
    console.log(
      `floor (Fastify + undici, 2 copies, no parsing): ${median(times.floor).toFixed(2)} s, ratio ${(median(times.floor) / median(times.direct)).toFixed(2)}`,
    );
  profiled.to = nowUs();
  const d = median(times.direct);
  const s = median(times.sluice);
  console.log(
    `${(bytes / 1e6).toFixed(0)} MB: direct ${d.toFixed(2)} s, sluice ${s.toFixed(2)} s, ratio ${(s / d).toFixed(2)}, sluice CPU ${median(cpu).toFixed(2)} s (medians of ${rounds})`,
  );
  grpc.close();
  await sluice.stop();
  const profile = sluice.cpuProfilePath();
  if (profile) {
    console.log(
      `\n${formatTopFrames(`sluice during ${rounds} rounds (its uploads and idle time)`, summariseCpuProfile(profile, profiled.from, profiled.to), 25)}`,
    );
  }
} finally {
  await stopAllChildren();
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
