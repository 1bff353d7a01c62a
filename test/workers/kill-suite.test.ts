import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchCreateIntent, ManagedBatch, ManagedFile, PendingDelete, SpendRecord, WebhookDelivery } from '../../src/db/entities/index.js';
import { openDatabase, type Database } from '../../src/db/orm.js';
import { startAzureEmulator, type ProviderEmulator } from '../../dev/emulators/index.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../dev/databases.js';
import { spawnSluice, writeConfig, type SluiceProcess } from '../support/sluice-process.js';
import { chatJsonl } from '../support/stack.js';
import { until } from '../support/tracking.js';

const HOUR = 3_600_000;
const MASTER = 'sk-master-kill-suite-0123';
const AZURE_KEY = 'azure-secret-kill-5e6f7a8b';
const SLOW = 45_000;

interface Hook {
  delivery: string;
  attempt: string;
  body: { data: { batch_id: string } };
  answered: number | 'held';
}

/**
 * A webhook receiver whose behaviour the test switches: `fail` answers 500, `hold` never answers (a delivery in
 * flight when the sender is killed), `ok` answers 200.
 */
async function startReceiver() {
  const hooks: Hook[] = [];
  let mode: 'fail' | 'hold' | 'ok' = 'ok';
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook: Hook = {
        delivery: String(req.headers['x-sluice-delivery']),
        attempt: String(req.headers['x-sluice-attempt']),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        answered: 'held',
      };
      hooks.push(hook);
      if (mode === 'hold') return void held.push(res);
      hook.answered = mode === 'ok' ? 200 : 500;
      res.writeHead(hook.answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hooks,
    setMode: (m: typeof mode) => (mode = m),
    close: () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * SIGKILL real gateway processes (src/main.ts) at the points where work is half done, restart them, and check
 * that nothing is lost or left behind: during an upload's fan-out (no visible half-file), between the provider's
 * create and our write (the upstream batch is adopted: tracked and billed once), during a webhook retry (it is
 * delivered, with one delivery ID), and with replica deletes pending (the janitor finishes them). The kill points
 * are made deterministic with the emulators' faults only (held requests and held answers): no test hook in
 * the gateway. On SQLite, on PostgreSQL, and on PostgreSQL with two replicas (the other one keeps working).
 */
describe.each([
  ['sqlite', 1],
  ['postgresql', 1],
  ['postgresql', 2],
] as [DatabaseKind, number][])('kill suite (%s, %i replica(s))', (kind, replicas) => {
  let east: ProviderEmulator;
  let west: ProviderEmulator;
  let tdb: TestDatabase;
  let db: Database;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let configPath: string;
  const procs: SluiceProcess[] = [];
  let kills = 0;

  beforeAll(async () => {
    const timing = { validatingMs: HOUR, inProgressMs: HOUR, finalizingMs: HOUR, cancellingMs: HOUR };
    east = await startAzureEmulator({ apiKey: AZURE_KEY, deployments: ['gpt-4o-east'], timing });
    west = await startAzureEmulator({ apiKey: AZURE_KEY, deployments: ['gpt-4o-west'], timing });
    receiver = await startReceiver();
    tdb = await createTestDatabase(kind);
    const deployment = (emu: ProviderEmulator, name: string, id: string) => ({
      model_name: 'gpt-4o-batch',
      litellm_params: { model: `azure/${name}`, api_base: emu.url, api_key: AZURE_KEY, api_version: '2024-10-21', timeout: 5 },
      model_info: { mode: 'batch', id, input_cost_per_token_batches: 0.00000125, output_cost_per_token_batches: 0.000005 },
    });
    configPath = writeConfig({
      model_list: [deployment(east, 'gpt-4o-east', 'east'), deployment(west, 'gpt-4o-west', 'west')],
      general_settings: {
        master_key: MASTER,
        batch_poll_interval_seconds: 0.2,
        batch_finalizing_poll_interval_seconds: 0.1,
        batch_lease_seconds: 1,
        batch_webhook_url: receiver.url,
        uncommitted_upload_grace_seconds: 8,
      },
    });
    procs.push(await spawnSluice(configPath, tdb.url)); // migrates first
    for (let i = 1; i < replicas; i++) procs.push(await spawnSluice(configPath, tdb.url));
    db = await openDatabase(tdb.url, { migrate: false });
  }, 180_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db?.close();
    await Promise.all([east?.close(), west?.close(), receiver?.close()]);
    await tdb?.drop();
    console.log(`[kill suite ${kind} × ${replicas}] ${kills} SIGKILLs`);
  });

  const client = () => new OpenAI({ baseURL: `${procs[0].url}/v1`, apiKey: MASTER, maxRetries: 0 });
  const em = () => db.em();
  async function kill(i: number) {
    await procs[i].kill();
    kills++;
  }
  async function restart(i: number) {
    procs[i] = await spawnSluice(configPath, tdb.url);
  }
  async function upload(prefix: string) {
    return client().files.create({
      file: await toFile(Buffer.from(chatJsonl(3, 'gpt-4o-batch', prefix)), `${prefix}.jsonl`),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
  }
  /** What must hold after every restart. */
  async function expectNothingLeftBehind() {
    // No untracked upstream batch.
    const tracked = new Set((await em().find(ManagedBatch, {})).map((r) => `${r.deploymentId}/${r.providerBatchId}`));
    for (const [dep, emu] of [
      ['east', east],
      ['west', west],
    ] as const) {
      for (const id of emu.batches.keys()) expect(tracked.has(`${dep}/${id}`), `upstream batch ${dep}/${id} is tracked`).toBe(true);
    }
    expect(await em().count(BatchCreateIntent, { state: 'pending' })).toBe(0);
    // Every replica delete done.
    expect(await em().count(PendingDelete, {})).toBe(0);
  }

  it('killed during an upload fan-out: no visible half-file, and the copy already written is deleted', { timeout: 120_000 }, async () => {
    const filesBefore = await em().count(ManagedFile, {});
    const eastBefore = east.files.size;
    const eastIds = new Set(east.files.keys());
    // West holds the upload (before handling it), so the kill lands after east's copy and before the commit.
    west.injectFault({ method: 'POST', path: /\/files$/, delayMs: SLOW, times: 1 });
    const pending = upload('fanout').then(
      () => 'answered',
      () => 'failed',
    );
    await until(
      'east to hold its copy and west to be writing',
      () => east.files.size > eastBefore && west.requests.some((r) => r.method === 'POST' && r.path.endsWith('/files')),
      30_000,
    );
    // The kill lands once sluice has recorded east's copy (a kill between the provider's answer and that write
    // would still leave the copy behind: the one window the write-ahead cannot close).
    await until(
      "east's copy recorded before the commit",
      async () => (await em().count(PendingDelete, { reason: 'upload_uncommitted' })) > 0,
      30_000,
      20,
    );
    await kill(0);
    expect(await pending).toBe('failed');
    west.clearFaults();
    await restart(0);
    expect(await em().count(ManagedFile, {})).toBe(filesBefore);
    const listed = await client().files.list();
    expect(listed.data.some((f) => f.filename === 'fanout.jsonl')).toBe(false);
    // East's copy was recorded before the commit (write-ahead); the janitor deletes it once the grace is over.
    const orphan = [...east.files.keys()].find((id) => !eastIds.has(id))!;
    expect((await em().findOneOrFail(PendingDelete, { providerFileId: orphan })).reason).toBe('upload_uncommitted');
    await until('the janitor to delete the uncommitted copy', () => !east.files.has(orphan), 60_000, 100);
    await until('the pending delete to be forgotten', async () => (await em().count(PendingDelete, {})) === 0, 10_000, 50);
    await expectNothingLeftBehind();
  });

  it("killed between the provider's create and the write: the batch is adopted, tracked and billed once", {
    timeout: 120_000,
  }, async () => {
    const file = await upload('create');
    const upstreamBefore = east.batches.size + west.batches.size;
    // Both deployments create the batch and then hold their answer: the kill lands after the create upstream.
    for (const emu of [east, west]) emu.injectFault({ method: 'POST', path: /\/batches$/, holdAnswerMs: SLOW, times: 1 });
    const pending = client()
      .batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { run: 'kill-create' },
      })
      .then(
        () => 'answered',
        () => 'failed',
      );
    await until('the batch to exist upstream', () => east.batches.size + west.batches.size > upstreamBefore, 30_000);
    expect(await em().count(ManagedBatch, { inputFileId: file.id })).toBe(0);
    await kill(0);
    expect(await pending).toBe('failed');
    for (const emu of [east, west]) emu.clearFaults();
    await restart(0);
    const adopted = await until(
      'the reconciler to adopt the batch',
      async () => (await em().findOne(ManagedBatch, { inputFileId: file.id })) ?? null,
      60_000,
      100,
    );
    expect(east.batches.size + west.batches.size).toBe(upstreamBefore + 1);
    expect(adopted.ownerKeyId ?? null).toBeNull(); // made by the master key, owned as the intent says
    const seen = await client().batches.retrieve(adopted.id);
    expect(seen.metadata).toEqual({ run: 'kill-create' });
    // It runs to its end and is billed once, like any batch.
    east.finishAll();
    west.finishAll();
    await until('its cost recorded', async () => (await em().findOneOrFail(ManagedBatch, { id: adopted.id })).costRecorded, 60_000, 100);
    expect(await em().count(SpendRecord, { batchId: adopted.id })).toBe(1);
    await until(
      'its webhook delivered',
      async () => receiver.hooks.some((h) => h.body.data.batch_id === adopted.id && h.answered === 200),
      60_000,
      100,
    );
    await expectNothingLeftBehind();
  });

  it('killed during a webhook retry: delivered after the restart, with one delivery ID', { timeout: 120_000 }, async () => {
    const file = await upload('hook');
    const batch = await client().batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    receiver.setMode('fail');
    east.finishAll();
    west.finishAll();
    await until(
      'a first failed delivery',
      () => receiver.hooks.some((h) => h.body.data.batch_id === batch.id && h.answered === 500),
      60_000,
      50,
    );
    receiver.setMode('hold'); // the retry arrives and hangs: the kill lands during it
    await until(
      'the retry in flight',
      () => receiver.hooks.some((h) => h.body.data.batch_id === batch.id && h.answered === 'held'),
      60_000,
      50,
    );
    const row = await em().findOneOrFail(WebhookDelivery, { subjectId: batch.id });
    expect(row.deliveredAt ?? null).toBeNull();
    // Kill the replica that holds the delivery's lease (its pid is part of the lease owner).
    const victim = procs.findIndex((p) => row.leaseOwner?.includes(`:${p.pid}:`));
    expect(victim).toBeGreaterThanOrEqual(0);
    await kill(victim);
    receiver.setMode('ok');
    await restart(victim);
    const ok = await until(
      'the webhook delivered',
      () => receiver.hooks.find((h) => h.body.data.batch_id === batch.id && h.answered === 200),
      60_000,
      100,
    );
    const attempts = receiver.hooks.filter((h) => h.body.data.batch_id === batch.id);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(attempts.map((h) => h.delivery))).toEqual(new Set([ok.delivery]));
    // The receiver answers before the sender records the delivery: wait for the record.
    await until(
      'the delivery recorded',
      async () => ((await em().findOneOrFail(WebhookDelivery, { subjectId: batch.id })).deliveredAt ?? 0) > 0,
      30_000,
      50,
    );
    await expectNothingLeftBehind();
  });

  it('killed with replica deletes pending: the janitor finishes them after the restart', { timeout: 120_000 }, async () => {
    // A file delete whose east copy cannot be deleted: the file is gone for the caller, the copy is pending.
    const file = await upload('delete');
    const copies = east.files.size;
    east.injectFault({ method: 'DELETE', path: /\/files\//, status: 500 });
    const deleted = await client().files.delete(file.id);
    expect(deleted.deleted).toBe(true);
    await expect(client().files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    // An upload whose west copy is refused, and whose east copy then cannot be deleted (the rollback). West
    // refuses late, so that east's copy is written by then (a refusal before that would abort it instead).
    west.injectFault({ method: 'POST', path: /\/files$/, status: 400, delayMs: 3000, times: 1 });
    await expect(upload('rollback')).rejects.toMatchObject({ status: 400 });
    await until('both deletes recorded', async () => (await em().count(PendingDelete, {})) === 2, 30_000);
    const reasons = (await em().find(PendingDelete, {})).map((p) => p.reason).sort();
    expect(reasons).toEqual(['file_delete', 'upload_rollback']);
    expect(east.files.size).toBe(copies + 1); // both copies still there upstream
    for (let i = 0; i < procs.length; i++) await kill(i);
    east.clearFaults();
    for (let i = 0; i < procs.length; i++) await restart(i);
    await until('the janitor to finish', async () => (await em().count(PendingDelete, {})) === 0, 60_000, 100);
    expect(east.files.size).toBe(copies - 1);
    await expectNothingLeftBehind();
  });

  it('left every webhook delivered', async () => {
    const undelivered = await em().count(WebhookDelivery, { deliveredAt: null });
    expect(undelivered).toBe(0);
    const finished = await em().count(ManagedBatch, { costRecorded: true });
    expect(await em().count(WebhookDelivery, {})).toBe(finished);
  });
});
