/**
 * `npm run bench` — sluice next to the Portkey gateway and a direct call to the upstream, side by side in one run
 * (issue 10). Not part of `npm test`. See bench/README.md.
 *
 *   npm run bench                  the full run (planned for < 10 min): bench/results/latest.json + latest.md
 *   npm run bench -- --quick       short runs and small files, to check that it works: bench/results/quick.json
 *   npm run bench:profile          sluice under --cpu-prof during the retrieve and upload phases; prints top frames
 *                                  (add -- --quick for a short one)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from 'undici';
import { createTestDatabase, type TestDatabase } from '../dev/databases.js';
import { ensureBenchDependencies } from './bench-dependencies.js';
import { cpuMicros, cpuMicrosByThread, stopAllChildren, threadShares } from './child-process.js';
import { formatTopFrames, summariseCpuProfile } from './cpu-profile.js';
import { median, percentile, sequentialLatencies, throughput, type Target } from './load-generators.js';
import { startFloor, startPortkey, startStandin, type Floor, type Portkey, type Standin } from './other-systems.js';
import { resultsTable, type BenchResults, type Details } from './report.js';
import { pollingLoad, seedFinishedBatches, type RunningBatch } from './seed.js';

/** The throughput runs' connections: each polls a running batch of its own (see autocannon-paths.mjs). */
const CONNECTIONS = 10;
import { startSluice, writeSluiceConfig, MODEL_GROUP, type SluiceProcess } from './sluice-process.js';
import { startUploadClient, type UploadJob } from './upload-client.js';
import { multipartUpload, writeBatchInput } from './uploads.js';

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } },
});
const QUICK = flags.quick!;
const PROFILE = flags.profile!;

/**
 * Sizes and durations: the full run is issue 10's; --quick checks the machinery in about a minute. Sequential
 * phases run for a time, not a count, so that a slow system (or a busy machine) cannot stretch the run.
 */
const plan = QUICK
  ? {
      retrieveSeconds: 2,
      retrieveRounds: 1,
      warmSeconds: 1,
      latencyBlocks: 2,
      latencyBlockSeconds: 0.5,
      uploadRounds: 1,
      largeLines: 5_000,
      smallLines: 1_250,
      listBatches: 2_000,
      listSeconds: 1,
    }
  : {
      retrieveSeconds: 10,
      retrieveRounds: 3,
      warmSeconds: 2,
      latencyBlocks: 10,
      latencyBlockSeconds: 2,
      uploadRounds: 5, // a single upload moves by ±25 % on a shared VM: five make a steadier median
      largeLines: 50_000,
      smallLines: 12_500,
      listBatches: 100_000,
      listSeconds: 10,
    };

const MB = 1024 * 1024;
const UPSTREAM_KEY = 'sk-bench-upstream';
const MASTER_KEY = `sk-bench-master-${process.pid}`;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
/** `order` rotated by `round`: each system goes first, last, in between, so that drift hits all alike. */
const rotated = <T>(order: readonly T[], round: number) => order.map((_, i) => order[(i + round) % order.length]);

ensureBenchDependencies();

const work = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
let db: TestDatabase | undefined;
let cleaning: Promise<void> | undefined;
/** Stops every process the bench started and drops its database; once, whether the run ends, fails or is interrupted. */
const cleanup = () =>
  (cleaning ??= (async () => {
    await stopAllChildren();
    await db?.drop().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  })());
let interrupted = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    interrupted = true;
    void cleanup().finally(() => process.exit(code));
  });
}

try {
  if (PROFILE) await profileRun();
  else await fullRun();
} catch (err) {
  await cleanup();
  if (interrupted) await new Promise(() => {}); // the signal handler exits
  console.error(err);
  process.exit(1);
}
await cleanup();

interface Stack {
  standin: Standin;
  sluice: SluiceProcess;
  key: string;
  batch: RunningBatch;
  /** One running batch per throughput connection; `batch` is the first. */
  batches: RunningBatch[];
  largeFile: { path: string; bytes: number };
  smallFile: { path: string; bytes: number };
}

/** The database, the stand-in, sluice (`npm start`, freshness 0), a virtual key, a running batch and the files. */
async function startStack(opts: { cpuProfileDir?: string; listBatches: number }): Promise<Stack> {
  db = await createTestDatabase('postgresql');
  const standin = await startStandin(2);
  const config = join(work, 'sluice-fresh.yaml');
  // Every retrieve asks the upstream. sluice may not know this setting yet: unknown general_settings are tolerated.
  writeSluiceConfig(config, {
    upstreamUrls: standin.urls,
    upstreamKey: UPSTREAM_KEY,
    masterKey: MASTER_KEY,
    databaseUrl: db.url,
    generalSettings: { batch_retrieve_max_age_ms: 0 },
  });
  const sluice = await startSluice(config, db.url, opts);
  log(`sluice (npm start, PostgreSQL) at ${sluice.url}, gRPC ${sluice.grpcAddress}, pid ${sluice.pid}`);
  const { key, batches } = await pollingLoad(sluice.url, MASTER_KEY, db.url, CONNECTIONS);
  const batch = batches[0];
  if (opts.listBatches > 0) {
    const started = performance.now();
    await seedFinishedBatches(db.url, batch.id, opts.listBatches);
    log(
      `stored ${opts.listBatches.toLocaleString('en-US')} batches for the key's team in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const largeFile = { path: join(work, 'large.jsonl'), bytes: 0 };
  const smallFile = { path: join(work, 'small.jsonl'), bytes: 0 };
  largeFile.bytes = await writeBatchInput(largeFile.path, plan.largeLines);
  smallFile.bytes = await writeBatchInput(smallFile.path, plan.smallLines);
  log(
    `generated ${(largeFile.bytes / MB).toFixed(1)} MB / ${plan.largeLines} lines and ${(smallFile.bytes / MB).toFixed(1)} MB / ${plan.smallLines} lines`,
  );
  return { standin, sluice, key, batch, batches, largeFile, smallFile };
}

function retrieveTargets(stack: Stack, portkey?: Portkey, sluiceDefault?: SluiceProcess, floor?: Floor) {
  const upstream = stack.standin.urls[stack.batch.deploymentIndex];
  const sluicePaths = stack.batches.map((b) => `/v1/batches/${b.id}`);
  // The stand-in answers any batch id on either deployment: the direct and Portkey calls poll the same batches.
  const upstreamPaths = stack.batches.map((b) => `/v1/batches/${b.providerBatchId}`);
  const viaSluice = (s: SluiceProcess): Target => ({
    origin: s.url,
    path: sluicePaths[0],
    paths: sluicePaths,
    headers: { authorization: `Bearer ${stack.key}` },
  });
  return {
    direct: {
      origin: new URL(upstream).origin,
      path: upstreamPaths[0],
      paths: upstreamPaths,
      headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
    } as Target,
    portkey: portkey
      ? ({ origin: portkey.url, path: upstreamPaths[0], paths: upstreamPaths, headers: portkey.headers(upstream, UPSTREAM_KEY) } as Target)
      : undefined,
    sluice: viaSluice(stack.sluice),
    sluice_default: sluiceDefault ? viaSluice(sluiceDefault) : undefined,
    // The floor forwards every retrieve to the first deployment, which answers any batch id.
    floor: floor ? ({ origin: floor.url, path: upstreamPaths[0], paths: upstreamPaths, headers: {} } as Target) : undefined,
  };
}

async function upstreamRetrieves(stack: Stack): Promise<number> {
  const res = await fetch(`${new URL(stack.standin.urls[0]).origin}/_stats`);
  return ((await res.json()) as { retrieves: number }).retrieves;
}

/** Runs an upload to sluice (REST or gRPC); answers its result and the sluice process's peak RSS growth during it, in MiB. */
async function rssGrowthDuring<T>(stack: Stack, upload: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  const baseline = stack.sluice.memory().rss;
  const reset = stack.sluice.resetPeak();
  const result = await upload();
  const { rss, peak } = stack.sluice.memory();
  // Without clear_refs the peak is the process's own since it started: an upper bound.
  return { result, growthMb: ((reset ? peak : Math.max(peak, rss)) - baseline) / MB };
}

async function fullRun(): Promise<void> {
  const benchStarted = performance.now();
  const stack = await startStack({ listBatches: plan.listBatches });
  const portkey = await startPortkey();
  log(`Portkey gateway at ${portkey.url}`);
  const defaultConfig = join(work, 'sluice-default.yaml');
  writeSluiceConfig(defaultConfig, {
    upstreamUrls: stack.standin.urls,
    upstreamKey: UPSTREAM_KEY,
    masterKey: MASTER_KEY,
    databaseUrl: db!.url,
  });
  const sluiceDefault = await startSluice(defaultConfig, db!.url);
  log(`second sluice (default settings) at ${sluiceDefault.url}`);
  // Fastify + undici with nothing of sluice in between: what this machine allows any Node gateway (not a goal).
  const floor = await startFloor(stack.standin.urls);
  log(`floor (Fastify + undici alone) at ${floor.url}`);
  const t = retrieveTargets(stack, portkey, sluiceDefault, floor);
  const targets = { direct: t.direct, portkey: t.portkey!, sluice: t.sluice, sluice_default: t.sluice_default!, floor: t.floor! };
  for (const target of Object.values(targets)) await sequentialLatencies(target, { count: 1 }); // each answers 200, or stop here

  // Throughput at 10 connections, interleaved.
  const systems = ['direct', 'portkey', 'sluice', 'sluice_default', 'floor'] as const;
  for (const name of systems) await throughput(targets[name], CONNECTIONS, plan.warmSeconds);
  const rps: Record<(typeof systems)[number], number[]> = { direct: [], portkey: [], sluice: [], sluice_default: [], floor: [] };
  const upstreamPerRetrieve: Record<'sluice' | 'sluice_default', number[]> = { sluice: [], sluice_default: [] };
  for (let round = 0; round < plan.retrieveRounds; round++) {
    for (const name of rotated(systems, round)) {
      const before = await upstreamRetrieves(stack);
      const r = await throughput(targets[name], CONNECTIONS, plan.retrieveSeconds);
      const upstream = (await upstreamRetrieves(stack)) - before;
      if (r.failures > 0) log(`warning: ${name} had ${r.failures} failed requests (not counted)`);
      rps[name].push(r.rps);
      if (name === 'sluice' || name === 'sluice_default') upstreamPerRetrieve[name].push(upstream / Math.max(r.ok, 1));
      log(
        `retrieve round ${round + 1}: ${name} ${Math.round(r.rps)} req/s${name.startsWith('sluice') ? ` (${(upstream / Math.max(r.ok, 1)).toFixed(2)} upstream calls each)` : ''}`,
      );
    }
  }

  // Latency at one connection, sequential keep-alive requests, in interleaved blocks.
  const latencySystems = ['direct', 'portkey', 'sluice', 'floor'] as const;
  const clients = Object.fromEntries(latencySystems.map((n) => [n, new Client(targets[n].origin, { pipelining: 1 })])) as Record<
    (typeof latencySystems)[number],
    Client
  >;
  const latencies: Record<(typeof latencySystems)[number], number[]> = { direct: [], portkey: [], sluice: [], floor: [] };
  for (const name of latencySystems) await sequentialLatencies(targets[name], { count: 200, seconds: plan.warmSeconds }, clients[name]);
  for (let block = 0; block < plan.latencyBlocks; block++) {
    for (const name of rotated(latencySystems, block))
      latencies[name].push(...(await sequentialLatencies(targets[name], { seconds: plan.latencyBlockSeconds }, clients[name])));
  }
  await Promise.all(Object.values(clients).map((c) => c.close()));
  const retrieveMs = Object.fromEntries(
    latencySystems.map((n) => [n, { p50: median(latencies[n]), p99: percentile(latencies[n], 99) }]),
  ) as Details['retrieveMs'];
  log(
    `retrieve at 1 connection, p50/p99 ms: ${latencySystems.map((n) => `${n} ${retrieveMs[n].p50.toFixed(3)}/${retrieveMs[n].p99.toFixed(2)} (${latencies[n].length} requests)`).join(', ')}`,
  );

  // Uploads: the same file straight to the upstream, through Portkey, and to sluice over REST and gRPC, all sent
  // by one client process of their own (bench/upload-client.ts).
  const client = await startUploadClient();
  const upstream = stack.standin.urls[0];
  const jobs: Record<string, (path: string) => UploadJob> = {
    direct: (path) => ({
      via: 'multipart',
      url: `${upstream}/files`,
      headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
      fields: { purpose: 'batch' },
      path,
    }),
    portkey: (path) => ({
      via: 'multipart',
      url: `${portkey.url}/v1/files`,
      headers: portkey.headers(upstream, UPSTREAM_KEY),
      fields: { purpose: 'batch' },
      path,
    }),
    rest: (path) => ({
      via: 'multipart',
      url: `${stack.sluice.url}/v1/files`,
      headers: { authorization: `Bearer ${stack.key}` },
      fields: { purpose: 'batch', target_model_names: MODEL_GROUP },
      path,
    }),
    grpc: (path) => ({ via: 'grpc', address: stack.sluice.grpcAddress, key: stack.key, path }),
    // The file's bytes sent on to both deployments as they arrive, not even parsed.
    floor: (path) => ({ via: 'multipart', url: `${floor.url}/v1/files`, headers: {}, fields: { purpose: 'batch' }, path }),
  };
  const uploadKinds = ['direct', 'portkey', 'rest', 'grpc', 'floor'] as const;
  const sluiceCpuSeconds = () => stack.sluice.servingPids.reduce((sum, pid) => sum + cpuMicros(pid), 0) / 1e6;
  const uploadSeconds = {} as Details['uploadSeconds'];
  const growth = { large: { rest: [] as number[], grpc: [] as number[] }, small: { rest: [] as number[], grpc: [] as number[] } };
  // Warm-up with the large file, for every system alike: sluice's first 200 MB upload spent a third more CPU than
  // its later ones (the young generation grows and the hot loops are optimised during it).
  for (const kind of uploadKinds) await client.upload(jobs[kind](stack.largeFile.path));
  for (const size of ['large', 'small'] as const) {
    const file = size === 'large' ? stack.largeFile : stack.smallFile;
    const times: Record<(typeof uploadKinds)[number], number[]> = { direct: [], portkey: [], rest: [], grpc: [], floor: [] };
    for (let round = 0; round < plan.uploadRounds; round++) {
      for (const kind of rotated(uploadKinds, round)) {
        await sleep(500); // let the previous upload's garbage go, for every system alike
        const viaSluice = kind === 'rest' || kind === 'grpc';
        const cpuBefore = sluiceCpuSeconds();
        const threadsBefore = cpuMicrosByThread(stack.sluice.servingPids[0]);
        const send = () => client.upload(jobs[kind](file.path));
        const { result, growthMb } = viaSluice ? await rssGrowthDuring(stack, send) : { result: await send(), growthMb: undefined };
        const { seconds, cpuSeconds } = result;
        times[kind].push(seconds);
        if (viaSluice && growthMb !== undefined) growth[size][kind].push(growthMb);
        log(
          `upload ${size} round ${round + 1}: ${kind} ${seconds.toFixed(2)} s (client CPU ${cpuSeconds.toFixed(2)} s)${viaSluice ? `, sluice's RSS growth ${growthMb!.toFixed(1)} MB, CPU ${(sluiceCpuSeconds() - cpuBefore).toFixed(2)} s (${threadShares(threadsBefore, cpuMicrosByThread(stack.sluice.servingPids[0]))})` : ''}`,
        );
      }
    }
    uploadSeconds[size] = {
      direct: median(times.direct),
      portkey: median(times.portkey),
      rest: median(times.rest),
      grpc: median(times.grpc),
      floor: median(times.floor),
    };
  }
  await client.stop();

  // List: the first page of 20 out of the team's stored batches.
  const listTarget: Target = { origin: stack.sluice.url, path: '/v1/batches?limit=20', headers: { authorization: `Bearer ${stack.key}` } };
  const listClient = new Client(listTarget.origin, { pipelining: 1 });
  const page = (await (await fetch(listTarget.origin + listTarget.path, { headers: listTarget.headers })).json()) as {
    data: unknown[];
    has_more: boolean;
  };
  if (page.data.length !== 20 || !page.has_more)
    throw new Error(`the list answered ${page.data.length} batches, has_more ${page.has_more}`);
  await sequentialLatencies(listTarget, { count: 50, seconds: plan.warmSeconds }, listClient);
  const listTimes = await sequentialLatencies(listTarget, { count: 2_000, seconds: plan.listSeconds }, listClient);
  log(`list: ${listTimes.length} requests`);
  await listClient.close();

  const mb = (bytes: number) => Number((bytes / MB).toFixed(0));
  const round = (n: number, digits: number) => Number(n.toFixed(digits));
  const results: BenchResults = {
    retrieve_rps: {
      sluice: Math.round(median(rps.sluice)),
      portkey: Math.round(median(rps.portkey)),
      direct: Math.round(median(rps.direct)),
      sluice_default: Math.round(median(rps.sluice_default)),
    },
    retrieve_added_ms: {
      p50: round(retrieveMs.sluice.p50 - retrieveMs.direct.p50, 3),
      p99: round(retrieveMs.sluice.p99 - retrieveMs.direct.p99, 3),
    },
    upload: {
      ratio: round(uploadSeconds.large.rest / uploadSeconds.large.direct, 2),
      rss_growth_mb: round(Math.max(...growth.large.rest), 1),
    },
    upload_50mb: {
      ratio: round(uploadSeconds.small.rest / uploadSeconds.small.direct, 2),
      rss_growth_mb: round(Math.max(...growth.small.rest), 1),
    },
    grpc_upload: { ratio: round(uploadSeconds.large.grpc / uploadSeconds.large.rest, 2) },
    portkey_upload: { ratio: round(uploadSeconds.large.portkey / uploadSeconds.large.direct, 2) },
    list_ms: { p50: round(median(listTimes), 3), p99: round(percentile(listTimes, 99), 3) },
    machine: { cores: cpus().length, memory_gb: Math.round(totalmem() / 1024 ** 3), node: process.version },
    commit: currentCommit(),
    date: new Date().toISOString(),
  };
  const details: Details = {
    retrieveMs,
    uploadSeconds,
    grpcRssGrowthMb: Math.max(...growth.large.grpc),
    sizes: {
      largeMb: mb(stack.largeFile.bytes),
      largeLines: plan.largeLines,
      smallMb: mb(stack.smallFile.bytes),
      smallLines: plan.smallLines,
    },
    listBatches: plan.listBatches,
    retrieveSeconds: plan.retrieveSeconds,
    floorRps: Math.round(median(rps.floor)),
    upstreamCallsPerRetrieve: { sluice: median(upstreamPerRetrieve.sluice), sluice_default: median(upstreamPerRetrieve.sluice_default) },
  };
  if (details.upstreamCallsPerRetrieve.sluice < 0.99) {
    log(
      `warning: only ${details.upstreamCallsPerRetrieve.sluice.toFixed(2)} upstream calls per sluice retrieve with batch_retrieve_max_age_ms: 0`,
    );
  }
  await sluiceDefault.stop();
  await floor.stop();
  await portkey.stop();
  await stack.sluice.stop();
  await stack.standin.stop();

  const table = resultsTable(results, details);
  mkdirSync(resultsDir, { recursive: true });
  const name = QUICK ? 'quick' : 'latest';
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, `${name}.md`), `${table}\n`);
  console.log(`\n${table}\n`);
  log(`wrote bench/results/${name}.json and ${name}.md in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
}

/** sluice under `--cpu-prof`; the profile is cut into the retrieve phase and the upload phase by sample time. */
async function profileRun(): Promise<void> {
  const profileDir = join(work, 'profiles');
  mkdirSync(profileDir);
  const stack = await startStack({ cpuProfileDir: profileDir, listBatches: plan.listBatches });
  const { sluice: target, direct } = retrieveTargets(stack);
  await sequentialLatencies(direct, { count: 1 });
  await throughput(target, CONNECTIONS, plan.warmSeconds);
  const retrieveFrom = nowUs();
  const r = await throughput(target, CONNECTIONS, plan.retrieveSeconds);
  const retrieveTo = nowUs();
  log(`retrieve under the profiler: ${Math.round(r.rps)} req/s at 10 connections for ${plan.retrieveSeconds} s`);

  const rest = () =>
    multipartUpload(
      `${stack.sluice.url}/v1/files`,
      { authorization: `Bearer ${stack.key}` },
      { purpose: 'batch', target_model_names: MODEL_GROUP },
      stack.largeFile.path,
    );
  await multipartUpload(
    `${stack.sluice.url}/v1/files`,
    { authorization: `Bearer ${stack.key}` },
    { purpose: 'batch', target_model_names: MODEL_GROUP },
    stack.smallFile.path,
  );
  const uploadFrom = nowUs();
  for (let i = 0; i < plan.uploadRounds; i++) {
    const started = performance.now();
    await rest();
    log(
      `REST upload of ${(stack.largeFile.bytes / MB).toFixed(0)} MB under the profiler: ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
  }
  const uploadTo = nowUs();

  const listTarget: Target = { origin: stack.sluice.url, path: '/v1/batches?limit=20', headers: { authorization: `Bearer ${stack.key}` } };
  await sequentialLatencies(listTarget, { count: 50 });
  const listFrom = nowUs();
  const listTimes = await sequentialLatencies(listTarget, { count: 2_000, seconds: plan.listSeconds });
  const listTo = nowUs();
  log(
    `list under the profiler: ${listTimes.length} requests, p50 ${median(listTimes).toFixed(2)} ms, p99 ${percentile(listTimes, 99).toFixed(2)} ms`,
  );
  await stack.sluice.stop();
  await stack.standin.stop();

  const path = stack.sluice.cpuProfilePath();
  if (!path) throw new Error(`sluice wrote no .cpuprofile in ${profileDir}`);
  const kept = join(resultsDir, 'profiles');
  mkdirSync(kept, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  copyFileSync(path, join(kept, `sluice-${stamp}.cpuprofile`));
  console.log(
    `\n${formatTopFrames(`batch retrieve, 10 connections, ${plan.retrieveSeconds} s`, summariseCpuProfile(path, retrieveFrom, retrieveTo))}\n`,
  );
  console.log(
    `${formatTopFrames(`managed upload over REST, ${plan.uploadRounds} × ${(stack.largeFile.bytes / MB).toFixed(0)} MB`, summariseCpuProfile(path, uploadFrom, uploadTo))}\n`,
  );
  console.log(
    `${formatTopFrames(`list batches (limit 20) of ${plan.listBatches.toLocaleString('en-US')} stored, sequential`, summariseCpuProfile(path, listFrom, listTo))}\n`,
  );
  log(`the whole profile (open it in Chrome DevTools or speedscope): bench/results/profiles/sluice-${stamp}.cpuprofile`);
}

function currentCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}+changes` : sha;
  } catch {
    return 'unknown';
  }
}
