import OpenAI, { toFile } from 'openai';
import { createSluiceGrpcClient } from '../../clients/grpc/index.js';
import { createSluiceClient } from '../../clients/trpc/index.js';
import { until } from '../support/tracking.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchCreateIntent, ManagedBatch } from '../../src/db/entities/index.js';
import { DATABASES } from '../../dev/databases.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/**
 * A batch create runs once upstream however its answer goes missing: an SDK retry of the same body
 * (`X-Stainless-Retry-Count` > 0), a provider answer lost after the batch was made, an SDK that times out while
 * the provider holds its answer. Every upstream batch is tracked, and the tag that makes this work never shows.
 */
describe.each(DATABASES)('exactly-once batch create (%s)', (db) => {
  let s: Stack;
  let fileId: string;
  const upstream = () => [...s.east.batches.values(), ...s.west.batches.values()];
  const body = (extra: Record<string, unknown> = {}) => ({
    input_file_id: fileId,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
    ...extra,
  });
  const post = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(payload),
    });
  /** Every upstream batch is a managed batch: nothing runs (and bills) that sluice does not track. */
  async function expectAllTracked() {
    const rows = await s.gateway.db.em().find(ManagedBatch, {});
    const tracked = new Set(rows.map((r) => `${r.deploymentId}/${r.providerBatchId}`));
    for (const [dep, emu] of [
      ['east', s.east],
      ['west', s.west],
    ] as const) {
      for (const id of emu.batches.keys()) expect(tracked.has(`${dep}/${id}`), `${dep}/${id} tracked`).toBe(true);
    }
  }

  beforeAll(async () => {
    s = await startStack({ db, tracker: false });
    fileId = (
      await s.client.files.create({
        file: await toFile(Buffer.from(chatJsonl(2)), 'i.jsonl'),
        purpose: 'batch',
        target_model_names: 'gpt-4o-batch',
      } as never)
    ).id;
  });
  beforeEach(() => {
    s.east.clearFaults();
    s.west.clearFaults();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers an SDK retry of the same body (X-Stainless-Retry-Count: 1) with the first batch', async () => {
    const before = upstream().length;
    const first = await post(body({ metadata: { run: 'r1' } }), { 'x-stainless-retry-count': '0' });
    expect(first.status).toBe(200);
    const b1 = (await first.json()) as { id: string; metadata: Record<string, string> };
    const retry = await post(body({ metadata: { run: 'r1' } }), { 'x-stainless-retry-count': '1' });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { id: string }).id).toBe(b1.id);
    expect(upstream().length).toBe(before + 1);
    // A fresh request (no retry header) with the same body is a new batch, as with OpenAI.
    const fresh = await post(body({ metadata: { run: 'r1' } }));
    expect(((await fresh.json()) as { id: string }).id).not.toBe(b1.id);
    expect(upstream().length).toBe(before + 2);
    // The tag travels upstream but never comes back.
    expect(b1.metadata).toEqual({ run: 'r1' });
    const raw = (await s.gateway.db.em().findOneOrFail(ManagedBatch, { id: b1.id })).providerBatchId;
    const up = s.east.batches.get(raw) ?? s.west.batches.get(raw);
    expect(Object.keys(up!.metadata ?? {})).toEqual(['run', 'sluice_intent']);
    await expectAllTracked();
  });

  it('adopts the batch when the provider made it but its answer was lost (no second upstream batch)', async () => {
    const before = upstream().length;
    for (const emu of [s.east, s.west]) emu.injectFault({ method: 'POST', path: /\/batches$/, loseAnswer: true, times: 1 });
    const batch = await s.client.batches.create(body({ metadata: { run: 'lost' } }) as never);
    expect(batch.status).toBe('validating');
    expect(upstream().length).toBe(before + 1);
    expect(s.gateway.db && (await s.gateway.db.em().count(ManagedBatch, { id: batch.id }))).toBe(1);
    const intent = await s.gateway.db.em().findOneOrFail(BatchCreateIntent, { batchId: batch.id });
    expect(intent.state).toBe('created');
    await expectAllTracked();
  });

  it('gives an SDK that timed out while the provider held its answer the same batch on its retry', async () => {
    const before = upstream().length;
    for (const emu of [s.east, s.west]) emu.injectFault({ method: 'POST', path: /\/batches$/, holdAnswerMs: 2500, times: 1 });
    const sdk = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: MASTER_KEY, maxRetries: 2, timeout: 1000 });
    const batch = await sdk.batches.create(body({ metadata: { run: 'held' } }) as never);
    expect(upstream().length).toBe(before + 1);
    const retrieved = await s.client.batches.retrieve(batch.id);
    expect(retrieved.id).toBe(batch.id);
    await expectAllTracked();
  });

  it('keeps a caller that already uses 16 metadata pairs working (untagged), and refuses the reserved key', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, `v${i}`]));
    const before = upstream().length;
    const full = await post(body({ metadata }), { 'x-stainless-retry-count': '0' });
    expect(full.status).toBe(200);
    const b = (await full.json()) as { id: string; metadata: Record<string, string> };
    expect(b.metadata).toEqual(metadata);
    const retry = await post(body({ metadata }), { 'x-stainless-retry-count': '2' });
    expect(((await retry.json()) as { id: string }).id).toBe(b.id);
    expect(upstream().length).toBe(before + 1);
    const reserved = await post(body({ metadata: { sluice_intent: 'x' } }));
    expect(reserved.status).toBe(400);
    expect(((await reserved.json()) as { error: { param: string } }).error.param).toBe('metadata');
    expect(upstream().length).toBe(before + 1);
  });

  /**
   * Decision (issue 8, item 1, batch create): a caller that goes away during a create does not cancel it. The
   * batch the provider made is kept, recorded and billed, and shows in the caller's list: never untracked.
   */
  it.each(['rest', 'grpc', 'trpc'] as const)('keeps and records a batch whose caller left during the create (%s)', async (transport) => {
    const before = upstream().length;
    const rowsBefore = await s.gateway.db.em().count(ManagedBatch, {});
    for (const emu of [s.east, s.west]) emu.injectFault({ method: 'POST', path: /\/batches$/, holdAnswerMs: 1500, times: 1 });
    const abort = new AbortController();
    const req = {
      input_file_id: fileId,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { left: transport },
    } as const;
    let call: Promise<unknown>;
    const grpc = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    if (transport === 'rest') {
      call = fetch(`${s.url}/v1/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(req),
        signal: abort.signal,
      }).catch((e: unknown) => e);
    } else if (transport === 'grpc') {
      call = grpc.batches
        .createBatch(
          { inputFileId: fileId, endpoint: req.endpoint, completionWindow: '24h', metadata: req.metadata },
          { signal: abort.signal },
        )
        .catch((e: unknown) => e);
    } else {
      call = createSluiceClient(s.url, MASTER_KEY)
        .batches.create.mutate(req, { signal: abort.signal })
        .catch((e: unknown) => e);
    }
    await until('the batch to exist upstream', () => upstream().length > before, 10_000);
    abort.abort();
    await call;
    grpc.close();
    await until('the batch to be recorded', async () => (await s.gateway.db.em().count(ManagedBatch, {})) > rowsBefore, 10_000, 50);
    expect(upstream().length).toBe(before + 1);
    const listed = await s.client.batches.list({ limit: 100 });
    expect(listed.data.some((b) => (b.metadata as Record<string, string> | null)?.left === transport)).toBe(true);
    await expectAllTracked();
  });

  it.each([
    ['tagged', { run: 'reconciled' }],
    ['untagged (16 pairs)', Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`r${i}`, `reconciled-${i}`]))],
  ] as const)('leaves a lost answer it cannot look up to the reconciler, which adopts the batch (%s)', async (_name, metadata) => {
    const before = upstream().length;
    const rowsBefore = await s.gateway.db.em().count(ManagedBatch, {});
    for (const emu of [s.east, s.west]) {
      emu.injectFault({ method: 'POST', path: /\/batches$/, loseAnswer: true, times: 1 });
      emu.injectFault({ method: 'GET', path: /\/batches$/, status: 500 }); // the search fails too, until cleared
    }
    const res = await post(body({ metadata }));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(upstream().length).toBe(before + 1);
    const pending = await s.gateway.db.em().find(BatchCreateIntent, { state: 'pending' });
    expect(pending).toHaveLength(1);
    s.east.clearFaults();
    s.west.clearFaults();
    await until(
      'the reconciler to adopt the batch',
      async () => (await s.gateway.db.em().count(ManagedBatch, {})) > rowsBefore,
      30_000,
      100,
    );
    expect((await s.gateway.db.em().findOneOrFail(BatchCreateIntent, { id: pending[0].id })).state).toBe('created');
    // The SDK's retry of that request now gets the adopted batch, not a new one.
    const retry = await post(body({ metadata }), { 'x-stainless-retry-count': '1' });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { metadata: unknown }).metadata).toEqual(metadata);
    expect(upstream().length).toBe(before + 1);
    await expectAllTracked();
  });
});
