import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedBatch, SpendRecord, VirtualKey } from '../../src/db/entities/index.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { startAzureEmulator, type ProviderEmulator } from '../../dev/emulators/index.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../dev/databases.js';
import { spawnSluice, writeConfig, type SluiceProcess } from '../support/sluice-process.js';
import { chatJsonl } from '../support/stack.js';
import { costAt, expectedChatUsage, until } from '../support/tracking.js';

const HOUR = 3_600_000;
const MASTER = 'sk-master-crash-test-0123';
const AZURE_KEY = 'azure-secret-crash-4b3c2d1e';

/**
 * sluice as a real child process, SIGKILLed at each stage of a batch's life while the batch goes on upstream;
 * a new process on the same database must finish the job: the batch ends `completed` in sluice and its spend
 * is recorded exactly once.
 */
describe.each(DATABASES)('a batch outlives sluice being killed (%s)', (kind) => {
  let emu: ProviderEmulator;
  let tdb: TestDatabase;
  let db: Database | undefined;
  let configPath: string;
  let proc: SluiceProcess | undefined;
  let keySecret: string;
  let keyId: string;
  const measured: { killPoint: string; cost: number }[] = [];

  beforeAll(async () => {
    emu = await startAzureEmulator({
      apiKey: AZURE_KEY,
      deployments: ['gpt-4o-east'],
      timing: { validatingMs: HOUR, inProgressMs: HOUR, finalizingMs: HOUR, cancellingMs: HOUR },
    });
    tdb = await createTestDatabase(kind);
    configPath = writeConfig({
      model_list: [
        {
          model_name: 'gpt-4o-batch',
          litellm_params: { model: 'azure/gpt-4o-east', api_base: emu.url, api_key: AZURE_KEY, api_version: '2024-10-21' },
          model_info: { mode: 'batch', id: 'east', input_cost_per_token_batches: 0.00000125, output_cost_per_token_batches: 0.000005 },
        },
      ],
      general_settings: {
        master_key: MASTER,
        batch_poll_interval_seconds: 0.1,
        batch_finalizing_poll_interval_seconds: 0.05,
        batch_lease_seconds: 1,
      },
    });
    proc = await spawnSluice(configPath, tdb.url);
    db = await openDatabase(tdb.url, { migrate: false });
    const res = await fetch(`${proc.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = (await res.json()) as { key: string; token: string };
    keySecret = key.key;
    keyId = key.token;
  });
  afterAll(async () => {
    await proc?.stop();
    await db?.close();
    await emu?.close();
    await tdb?.drop();
    if (measured.length) console.log(`[${kind}] spend recorded per kill point: ${JSON.stringify(measured)}`);
  });

  const client = () => new OpenAI({ baseURL: `${proc!.url}/v1`, apiKey: keySecret, maxRetries: 0 });
  const row = (id: string) => db!.em().findOneOrFail(ManagedBatch, { id });
  const keySpend = async () => Number((await db!.em().findOneOrFail(VirtualKey, { id: keyId })).spend);
  async function create(prefix: string) {
    const jsonl = chatJsonl(5, 'gpt-4o-batch', prefix);
    const file = await client().files.create({
      file: await toFile(Buffer.from(jsonl), `${prefix}.jsonl`),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    const batch = await client().batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    return { batch, jsonl, raw: (await row(batch.id)).providerBatchId };
  }
  async function restart() {
    proc = await spawnSluice(configPath, tdb.url);
  }
  /** The new process finishes the batch on its own (no retrieve): completed, one spend record, exact cost. */
  async function expectFinishedOnce(batchId: string, jsonl: string, spendBefore: number, killPoint: string) {
    const done = await until(`batch ${batchId} accounted for after restart`, async () => {
      const r = await row(batchId);
      return r.terminal && r.costRecorded ? r : null;
    });
    expect(done.status).toBe('completed');
    await new Promise((r) => setTimeout(r, 300)); // a few more tracker intervals: nothing may be added
    const records = await db!.em().find(SpendRecord, { batchId });
    expect(records).toHaveLength(1);
    const expected = expectedChatUsage(jsonl);
    const cost = costAt(expected);
    expect(records[0].requests).toBe(5);
    expect(Number(records[0].inputTokens)).toBe(expected.input);
    expect(Number(records[0].cost)).toBeCloseTo(cost, 15);
    expect(await keySpend()).toBeCloseTo(spendBefore + cost, 15);
    expect((await client().batches.retrieve(batchId)).status).toBe('completed');
    measured.push({ killPoint, cost: Number(records[0].cost) });
  }

  it('killed right after the batch was created', async () => {
    const spendBefore = await keySpend();
    const { batch, jsonl } = await create('after-create');
    await proc!.kill();
    emu.finishAll(); // the batch completes upstream while sluice is down
    await restart();
    await expectFinishedOnce(batch.id, jsonl, spendBefore, 'after create');
  });

  it('killed while the batch is in progress', async () => {
    const spendBefore = await keySpend();
    const { batch, jsonl, raw } = await create('in-progress');
    emu.advance(raw);
    await until('sluice to see in_progress', async () => (await row(batch.id)).status === 'in_progress');
    await proc!.kill();
    emu.finishAll();
    await restart();
    await expectFinishedOnce(batch.id, jsonl, spendBefore, 'during in_progress');
  });

  it('killed while it streams the output file for cost accounting', async () => {
    const spendBefore = await keySpend();
    const { batch, jsonl, raw } = await create('during-cost');
    // The output download hangs (once), so the kill lands in the middle of cost accounting.
    emu.injectFault({ method: 'GET', path: /\/files\/[^/]+\/content$/, delayMs: 30_000, times: 1 });
    emu.finishAll();
    const outputId = emu.batches.get(raw)!.output_file_id!;
    await until('the tracker to start reading the output', () =>
      emu.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/files/${outputId}/content`)),
    );
    expect((await row(batch.id)).status).toBe('completed');
    expect((await row(batch.id)).costRecorded).toBe(false);
    await proc!.kill();
    await restart();
    await expectFinishedOnce(batch.id, jsonl, spendBefore, 'during cost accounting');
  });

  it('killed just after the spend was recorded', async () => {
    const spendBefore = await keySpend();
    const { batch, jsonl } = await create('after-cost');
    emu.finishAll();
    await until('the spend record', async () => (await db!.em().count(SpendRecord, { batchId: batch.id })) > 0, 15_000, 5);
    await proc!.kill();
    await restart();
    await expectFinishedOnce(batch.id, jsonl, spendBefore, 'after cost recorded');
    for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 10 }, () => client().batches.retrieve(batch.id)));
    expect(await db!.em().count(SpendRecord, { batchId: batch.id })).toBe(1);
    expect(await keySpend()).toBeCloseTo(spendBefore + costAt(expectedChatUsage(jsonl)), 15);
  });
});
