import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, uploadRequests, type SluiceGrpcClient } from '../../clients/grpc/index.js';
import { startOpenAIEmulator, type ProviderEmulator } from '../../dev/emulators/index.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../dev/databases.js';
import { startGatewayChild, type GatewayChild } from '../../dev/measured-gateway.js';
import { generatedJsonl } from '../../dev/generated-jsonl.js';
import { MASTER_KEY, OPENAI_KEY } from '../support/stack.js';

const MB = 1024 * 1024;

// An `.isolated` test: vitest runs it after the rest of the suite, alone (vitest.config.ts), so that other
// test files' load does not inflate what it measures.
/**
 * A streamed upload holds a working set (chunks in flight, garbage V8 has not collected yet, the custom_id index
 * of one entry per line), not the file. So the property tested is that the gateway's peak RSS growth does not
 * depend on the file's size: 300 MB grows it about as much as 50 MB does. Buffered, it would grow by 250 MB more;
 * streamed, the two differ only by when the garbage collector happened to run. Measured over 11 runs on a loaded
 * 2-core machine: growths 12–41 MB (50 MB) and 14–59 MB (300 MB); 300 MB minus 50 MB from −22 to +35 MB.
 * The slack is nearly twice that and still catches keeping a quarter of the file; the ceiling is twice the
 * largest growth seen and well under a buffered file. The absolute figures belong to the bench
 * (`npm run bench`: upload.rss_growth_mb, goal ≤ 64 MB).
 */
const SIZE_DEPENDENT_SLACK = 64 * MB;
const CEILING = 128 * MB;

describe.each(DATABASES)('uploads over gRPC (%s)', (dbKind) => {
  let emulator: ProviderEmulator;
  let db: TestDatabase;
  let gateway: GatewayChild;
  let client: SluiceGrpcClient;
  const meta = { purpose: 'batch', targetModelNames: ['gpt-4o-mini-batch'] };

  beforeAll(async () => {
    // The emulator keeps what it receives in memory: it runs here, the gateway in a process of its own.
    emulator = await startOpenAIEmulator({ apiKey: OPENAI_KEY, maxBatchInputBytes: 400 * MB });
    db = await createTestDatabase(dbKind);
    gateway = await startGatewayChild(
      {
        model_list: [
          {
            model_name: 'gpt-4o-mini-batch',
            litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${emulator.url}/v1`, api_key: OPENAI_KEY },
          },
        ],
        general_settings: { master_key: MASTER_KEY, max_batch_file_bytes: 400 * MB, max_batch_file_lines: 2_000_000 },
      },
      db.url,
    );
    client = createSluiceGrpcClient(gateway.grpcAddress, MASTER_KEY);
  });
  afterAll(async () => {
    client?.close();
    await gateway?.stop();
    await emulator?.close();
    await db?.drop();
  });

  /** Uploads `bytes` of ~6 KB lines (the shape of a real 50,000-request file) and measures the gateway's peak RSS growth. */
  async function measuredUpload(filename: string, bytes: number) {
    await new Promise((r) => setTimeout(r, 300));
    const baseline = gateway.memory().rss;
    const peakReset = gateway.resetPeak();
    let sent = 0;
    let lines = 0;
    async function* counted() {
      for await (const chunk of generatedJsonl({ bytes, model: 'gpt-4o-mini-batch', lineBytes: 6 * 1024, prefix: filename })) {
        sent += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
        yield chunk;
      }
    }
    const file = await client.files.uploadFile(uploadRequests({ ...meta, filename }, counted()));
    // Without clear_refs (not Linux) the peak would be the process's own since it started, not this upload's.
    expect(peakReset, 'resetting the peak RSS needs /proc/PID/clear_refs').toBe(true);
    const growth = gateway.memory().peak - baseline;
    return { file, sent, lines, growth };
  }

  // A generous timeout for a machine shared with much else: under a load of 30 on 2 cores this took over 180 s.
  it('streams through in memory that does not grow with the file', { timeout: 600_000 }, async () => {
    // Warm up (lazy modules, JIT, pools) before measuring from a settled baseline.
    await client.files.uploadFile(
      uploadRequests({ ...meta, filename: 'warm.jsonl' }, generatedJsonl({ bytes: 8 * MB, model: 'gpt-4o-mini-batch', prefix: 'w' })),
    );

    const small = await measuredUpload('small.jsonl', 50 * MB);
    const large = await measuredUpload('large.jsonl', 300 * MB);
    console.log(
      `gRPC upload, gateway peak RSS growth (${dbKind}): 50 MB → ${(small.growth / MB).toFixed(1)} MB, 300 MB → ${(large.growth / MB).toFixed(1)} MB`,
    );

    expect(large.sent).toBeGreaterThanOrEqual(300 * MB);
    expect(large.file.bytes).toBe(large.sent);
    // The copy upstream names the deployment's model: "gpt-4o-mini" is 6 bytes shorter than the group's name.
    const upstream = [...emulator.files.values()].find((f) => f.filename === 'large.jsonl');
    expect(upstream?.bytes).toBe(large.sent - 6 * large.lines);

    expect(large.growth - small.growth).toBeLessThan(SIZE_DEPENDENT_SLACK);
    expect(large.growth).toBeLessThan(CEILING);
    expect(small.growth).toBeLessThan(CEILING);
  });
});
