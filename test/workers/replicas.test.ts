import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedBatch, SpendRecord, VirtualKey } from '../../src/db/entities/index.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { startAzureEmulator, type ProviderEmulator } from '../../dev/emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../../dev/databases.js';
import { spawnSluice, writeConfig, type SluiceProcess } from '../support/sluice-process.js';
import { chatJsonl } from '../support/stack.js';
import { batchGets, costAt, expectedChatUsage, until } from '../support/tracking.js';

const MASTER = 'sk-master-replicas-0123';
const AZURE_KEY = 'azure-secret-replicas-9a8b7c';
const BATCHES = 50;
const POLL_MS = 200;
const FINALIZING_MS = 100;

/**
 * Two sluice processes on one PostgreSQL follow 50 batches that run on their own upstream. Every batch must end
 * right, with its spend recorded once, and the leases must keep the two from polling one batch in the same
 * interval: in the emulator's request log, two GETs of one batch are never closer than the shortest jittered
 * interval (0.9 × the finalizing interval).
 */
describe('two replicas share the batches through database leases (postgresql)', () => {
  let emu: ProviderEmulator;
  let tdb: TestDatabase;
  let db: Database | undefined;
  const procs: SluiceProcess[] = [];

  beforeAll(async () => {
    emu = await startAzureEmulator({
      apiKey: AZURE_KEY,
      deployments: ['gpt-4o-east'],
      timing: { validatingMs: 400, inProgressMs: 1200, finalizingMs: 500, cancellingMs: 300 },
    });
    tdb = await createTestDatabase('postgresql');
    const config = writeConfig({
      model_list: [
        {
          model_name: 'gpt-4o-batch',
          litellm_params: { model: 'azure/gpt-4o-east', api_base: emu.url, api_key: AZURE_KEY, api_version: '2024-10-21' },
          model_info: { mode: 'batch', id: 'east', input_cost_per_token_batches: 0.00000125, output_cost_per_token_batches: 0.000005 },
        },
      ],
      general_settings: {
        master_key: MASTER,
        batch_poll_interval_seconds: POLL_MS / 1000,
        batch_finalizing_poll_interval_seconds: FINALIZING_MS / 1000,
        batch_lease_seconds: 5,
      },
    });
    procs.push(await spawnSluice(config, tdb.url)); // migrates first
    procs.push(await spawnSluice(config, tdb.url));
    db = await openDatabase(tdb.url, { migrate: false });
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db?.close();
    await emu?.close();
    await tdb?.drop();
  });

  it(`follows ${BATCHES} batches to the end, each polled by one replica at a time and billed once`, async () => {
    const gen = await fetch(`${procs[0].url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = (await gen.json()) as { key: string; token: string };
    const clients = procs.map((p) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: key.key, maxRetries: 0 }));
    const jsonl = chatJsonl(3, 'gpt-4o-batch', 'rep');
    const file = await clients[0].files.create({
      file: await toFile(Buffer.from(jsonl), 'rep.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    // Created through both replicas; nobody retrieves: only the trackers follow them.
    const ids = await Promise.all(
      Array.from(
        { length: BATCHES },
        async (_, i) =>
          (await clients[i % 2].batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id,
      ),
    );

    await until(
      `all ${BATCHES} batches accounted for`,
      async () => (await db!.em().count(ManagedBatch, { id: { $in: ids }, terminal: true, costRecorded: true })) === BATCHES,
      60_000,
      100,
    );

    const rows = await db!.em().find(ManagedBatch, { id: { $in: ids } });
    expect(rows.every((r) => r.status === 'completed')).toBe(true);
    const records = await db!.em().find(SpendRecord, { batchId: { $in: ids } });
    expect(records).toHaveLength(BATCHES);
    const cost = costAt(expectedChatUsage(jsonl));
    for (const r of records) {
      expect(r.requests).toBe(3);
      expect(Number(r.cost)).toBeCloseTo(cost, 15);
    }
    const spend = Number((await db!.em().findOneOrFail(VirtualKey, { id: key.token })).spend);
    expect(spend).toBeCloseTo(BATCHES * cost, 12);

    // No batch polled twice within one interval, whichever replica polled it.
    let polls = 0;
    let pairs = 0;
    let closest = Infinity;
    for (const r of rows) {
      const at = batchGets(emu, r.providerBatchId)
        .map((g) => g.at)
        .sort((a, b) => a - b);
      expect(at.length).toBeGreaterThanOrEqual(1);
      polls += at.length;
      pairs += at.length - 1;
      for (let i = 1; i < at.length; i++) closest = Math.min(closest, at[i] - at[i - 1]);
    }
    expect(pairs).toBeGreaterThan(BATCHES / 2); // the check below is about many consecutive polls, not none
    expect(closest).toBeGreaterThanOrEqual(0.9 * FINALIZING_MS - 2);
    // Both replicas did part of the work (each logs the status changes it saw), and no change was seen twice:
    // a poll may miss a short state, but two replicas never both report the same step of one batch.
    const changes = procs.map((p) => p.logs.filter((l) => l.event === 'batch_status_changed'));
    expect(changes.every((c) => c.length > 0)).toBe(true);
    const seen = new Map<string, string[]>();
    for (const c of changes.flat()) seen.set(String(c.batch_id), [...(seen.get(String(c.batch_id)) ?? []), String(c.to)]);
    expect(seen.size).toBe(BATCHES);
    for (const tos of seen.values()) {
      expect(new Set(tos).size).toBe(tos.length);
      expect(tos).toContain('completed');
    }
    const finished = procs.flatMap((p) => p.logs.filter((l) => l.event === 'batch_finished').map((l) => l.batch_id));
    expect(finished.sort()).toEqual([...ids].sort());
    console.log(
      `[replicas] ${BATCHES} batches, ${polls} upstream polls, closest two polls of one batch ${closest} ms apart, status changes seen per replica ${JSON.stringify(changes.map((c) => c.length))}, total spend ${spend}`,
    );
  });
});
