/**
 * gRPC upload vs REST multipart upload of the same 200 MB JSONL through one gateway (in its own process, so
 * its peak RSS is its own), each also against a direct multipart upload to the emulated provider. Goal:
 * gRPC time ÷ REST time ≤ 1.1. `npm run bench` runs it; not part of `npm test`.
 */
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createSluiceGrpcClient, uploadRequests } from '../clients/grpc/index.js';
import { startOpenAIEmulator } from '../dev/emulators/index.js';
import { createTestDatabase } from '../dev/databases.js';
import { generatedJsonl } from '../dev/generated-jsonl.js';
import { startGatewayChild } from '../dev/measured-gateway.js';

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_UPLOAD_MB ?? 200) * MB;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHUNK = Number(process.env.BENCH_CHUNK_KB ?? 1024) * 1024;
const KEY = 'sk-bench-master';
const PROVIDER_KEY = 'sk-bench-provider';

const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
const path = join(dir, 'input.jsonl');
const out = createWriteStream(path);
for await (const chunk of generatedJsonl({ bytes: SIZE, model: 'gpt-4o-mini-batch' })) if (!out.write(chunk)) await once(out, 'drain');
out.end();
await once(out, 'finish');

const emulator = await startOpenAIEmulator({ apiKey: PROVIDER_KEY, maxBatchInputBytes: 400 * MB });
const db = await createTestDatabase('sqlite');
const gateway = await startGatewayChild(
  {
    model_list: [{ model_name: 'gpt-4o-mini-batch', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${emulator.url}/v1`, api_key: PROVIDER_KEY } }],
    general_settings: { master_key: KEY, max_batch_file_bytes: 400 * MB, max_batch_file_lines: 2_000_000 },
  },
  db.url,
);
const grpc = createSluiceGrpcClient(gateway.grpcAddress, KEY);

async function multipart(url: string, key: string, fields: Record<string, string>): Promise<void> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', await openAsBlob(path), 'input.jsonl'); // file-backed: streamed from disk
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

const uploads = {
  grpc: () => grpc.files.uploadFile(uploadRequests({ filename: 'input.jsonl', purpose: 'batch', targetModelNames: ['gpt-4o-mini-batch'] }, createReadStream(path, { highWaterMark: CHUNK }), CHUNK)),
  rest: () => multipart(`${gateway.url}/v1/files`, KEY, { purpose: 'batch', target_model_names: 'gpt-4o-mini-batch' }),
  direct: () => multipart(`${emulator.url}/v1/files`, PROVIDER_KEY, { purpose: 'batch' }),
};

const times: Record<keyof typeof uploads, number[]> = { grpc: [], rest: [], direct: [] };
const peaks: Record<'grpc' | 'rest', number> = { grpc: 0, rest: 0 };
try {
  for (let run = 0; run < RUNS + 1; run++) {
    for (const name of ['grpc', 'rest', 'direct'] as const) {
      const before = gateway.memory().rss;
      gateway.resetPeak();
      const started = performance.now();
      await uploads[name]();
      const ms = performance.now() - started;
      emulator.files.clear(); // the emulator keeps uploads in memory
      if (run === 0) continue; // warm-up
      times[name].push(ms);
      if (name !== 'direct') peaks[name] = Math.max(peaks[name], gateway.memory().peak - before);
    }
  }
} finally {
  grpc.close();
  await gateway.stop();
  await emulator.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = { grpc: median(times.grpc), rest: median(times.rest), direct: median(times.direct) };
const mbps = (ms: number) => ((SIZE / MB) / (ms / 1000)).toFixed(0);
console.log(`upload of ${SIZE / MB} MB, median of ${RUNS} runs`);
for (const name of ['grpc', 'rest', 'direct'] as const) console.log(`  ${name.padEnd(6)} ${(t[name] / 1000).toFixed(2)} s  (${mbps(t[name])} MB/s)`);
console.log(`  gRPC ÷ REST      ${(t.grpc / t.rest).toFixed(2)}  (goal ≤ 1.10)`);
console.log(`  gRPC ÷ direct    ${(t.grpc / t.direct).toFixed(2)}`);
console.log(`  REST ÷ direct    ${(t.rest / t.direct).toFixed(2)}`);
console.log(`  gateway peak RSS growth: gRPC ${(peaks.grpc / MB).toFixed(0)} MB, REST ${(peaks.rest / MB).toFixed(0)} MB`);
