import { once } from 'node:events';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, uploadRequests } from '../../clients/grpc/index.js';
import { createSluiceClient, uploadBody } from '../../clients/trpc/index.js';
import { ManagedFile } from '../../src/db/entities/index.js';
import { startOpenAIEmulator, type ProviderEmulator } from '../emulators/index.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../support/databases.js';
import { startGatewayChild, type GatewayChild } from '../support/measured-gateway.js';
import { generatedJsonl } from '../support/jsonl-stream.js';
import { MASTER_KEY, OPENAI_KEY, startStack, type Stack } from '../support/stack.js';

const MB = 1024 * 1024;
const filePosts = (emus: ProviderEmulator[]) => emus.reduce((n, e) => n + e.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/files')).length, 0);

/** A client that stops mid-stream leaves nothing: no file row, no replica, not a byte upstream. */
describe.each(DATABASES)('uploads cancelled mid-stream (%s)', (dbKind) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db: dbKind, limits: { max_batch_file_bytes: 400 * MB, max_batch_file_lines: 2_000_000 } });
  });
  afterAll(async () => {
    await s?.close();
  });

  async function expectNothingKept(postsBefore: number, rowsBefore: number) {
    await new Promise((r) => setTimeout(r, 300)); // let the server notice and unwind
    expect(filePosts([s.east, s.west, s.openai])).toBe(postsBefore);
    expect(await s.gateway.gw.em().count(ManagedFile, {})).toBe(rowsBefore);
  }

  it('over gRPC: cancelling the call after some chunks', async () => {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    const abort = new AbortController();
    let sent = 0;
    async function* stopsHalfway() {
      for await (const req of uploadRequests(
        { filename: 'half.jsonl', purpose: 'batch', targetModelNames: ['gpt-4o-batch'] },
        generatedJsonl({ bytes: 100 * MB, model: 'gpt-4o-batch' }),
      )) {
        yield req;
        if ((sent += req.chunk?.length ?? 0) > 20 * MB) {
          abort.abort();
          return;
        }
      }
    }
    await expect(c.files.uploadFile(stopsHalfway(), { signal: abort.signal })).rejects.toThrow(/abort/i);
    c.close();
    await expectNothingKept(posts, rows);
  });

  it('over gRPC: a request stream that fails mid-way', async () => {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    async function* breaks() {
      let n = 0;
      for await (const req of uploadRequests({ filename: 'broken.jsonl', purpose: 'batch' }, generatedJsonl({ bytes: 50 * MB, model: 'gpt-4o-batch' }))) {
        yield req;
        if (++n === 10) throw new Error('disk read failed');
      }
    }
    await expect(c.files.uploadFile(breaks())).rejects.toThrow();
    c.close();
    await expectNothingKept(posts, rows);
  });

  it('over tRPC: aborting the request mid-body', async () => {
    const t = createSluiceClient(s.url, MASTER_KEY);
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    const parts: Buffer[] = [];
    for await (const chunk of generatedJsonl({ bytes: 120 * MB, model: 'gpt-4o-batch', lineBytes: 4096 })) parts.push(chunk);
    const abort = new AbortController();
    const upload = t.files.uploadStream.mutate(uploadBody({ filename: 'aborted.jsonl', purpose: 'batch' }, new Blob(parts as Uint8Array<ArrayBuffer>[])), { signal: abort.signal });
    setTimeout(() => abort.abort(), 150);
    await expect(upload).rejects.toThrow(/abort/i);
    await expectNothingKept(posts, rows);
  });

  it('over REST: a multipart upload whose connection drops mid-file', async () => {
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    const boundary = 'sluiceTestBoundary';
    const url = new URL(`${s.url}/v1/files`);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(200 * MB) },
    });
    req.on('error', () => undefined); // we cut it ourselves
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`);
    let sent = 0;
    for await (const chunk of generatedJsonl({ bytes: 100 * MB, model: 'gpt-4o-batch' })) {
      if (!req.write(chunk)) await once(req, 'drain');
      if ((sent += chunk.length) > 20 * MB) break;
    }
    req.destroy(); // the client goes away with 180 MB still to send
    await expectNothingKept(posts, rows);
  });
});

/**
 * 300 MB through gRPC into a gateway running in its own process (the emulator keeps what it receives in
 * memory, so it runs here, apart). A buffered upload would grow the gateway by 300 MB or more; streamed, it
 * grows by its working set: chunks in flight, garbage V8 has not collected yet, and the custom_id index
 * (one entry per request). Measured 20–48 MB for ~51,000 requests of 6 KB. With 1 KB requests (320,000,
 * six times OpenAI's cap, allowed here by a raised max_batch_file_lines) it is 50–88 MB, the index included.
 */
const MAX_RSS_GROWTH = 64 * MB;
describe.each(DATABASES)('a 300 MB upload over gRPC (%s)', (dbKind) => {
  let emulator: ProviderEmulator;
  let db: TestDatabase;
  let gateway: GatewayChild;
  beforeAll(async () => {
    emulator = await startOpenAIEmulator({ apiKey: OPENAI_KEY, maxBatchInputBytes: 400 * MB });
    db = await createTestDatabase(dbKind);
    gateway = await startGatewayChild(
      {
        model_list: [{ model_name: 'gpt-4o-mini-batch', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${emulator.url}/v1`, api_key: OPENAI_KEY } }],
        general_settings: { master_key: MASTER_KEY, max_batch_file_bytes: 400 * MB, max_batch_file_lines: 2_000_000 },
      },
      db.url,
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await emulator?.close();
    await db?.drop();
  });

  it('streams through without holding the file in memory', { timeout: 120_000 }, async () => {
    const c = createSluiceGrpcClient(gateway.grpcAddress, MASTER_KEY);
    try {
      const meta = { purpose: 'batch', targetModelNames: ['gpt-4o-mini-batch'] };
      // Warm up (lazy modules, JIT, pools), then measure from a settled baseline.
      await c.files.uploadFile(uploadRequests({ ...meta, filename: 'warm.jsonl' }, generatedJsonl({ bytes: 8 * MB, model: 'gpt-4o-mini-batch', prefix: 'w' })));
      await new Promise((r) => setTimeout(r, 200));
      const baseline = gateway.memory().rss;
      const peakReset = gateway.resetPeak();

      let sent = 0;
      let lines = 0;
      async function* counted() {
        // ~6 KB lines: 300 MB in ~51,000 requests, the shape of a real 50,000-request batch file. (The custom_id
        // uniqueness check holds one entry per line, bounded by max_batch_file_lines, not by the file's size.)
        for await (const chunk of generatedJsonl({ bytes: 300 * MB, model: 'gpt-4o-mini-batch', lineBytes: 6 * 1024 })) {
          sent += chunk.length;
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
          yield chunk;
        }
      }
      const started = Date.now();
      const file = await c.files.uploadFile(uploadRequests({ ...meta, filename: 'big.jsonl' }, counted()));
      const seconds = (Date.now() - started) / 1000;
      const { rss, peak } = gateway.memory();
      const growth = (peakReset ? peak : Math.max(peak, rss)) - baseline;
      console.log(
        `300 MB gRPC upload: ${seconds.toFixed(1)} s; gateway RSS baseline ${(baseline / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB, growth ${(growth / MB).toFixed(1)} MB` +
          (peakReset ? '' : ' (peak since start: clear_refs unavailable)'),
      );
      expect(sent).toBeGreaterThanOrEqual(300 * MB);
      expect(file.bytes).toBe(sent);
      const upstream = [...emulator.files.values()].find((f) => f.filename === 'big.jsonl');
      // The copy upstream names the deployment's model: "gpt-4o-mini" is 6 bytes shorter than the group's name.
      expect(upstream?.bytes).toBe(sent - 6 * lines);
      expect(growth).toBeLessThan(MAX_RSS_GROWTH);
    } finally {
      c.close();
    }
  });
});
