import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, uploadRequests } from '../../clients/grpc/index.js';
import { startOpenAIEmulator, type ProviderEmulator } from '../../dev/emulators/index.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../dev/databases.js';
import { startGatewayChild, type GatewayChild } from '../../dev/measured-gateway.js';
import { generatedJsonl } from '../../dev/generated-jsonl.js';
import { MASTER_KEY, OPENAI_KEY } from '../support/stack.js';

const MB = 1024 * 1024;

// An `.isolated` test: vitest runs it after the rest of the suite, alone (vitest.config.ts), so that other
// test files' load does not inflate what it measures.
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
