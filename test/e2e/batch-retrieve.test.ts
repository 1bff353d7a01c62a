import OpenAI, { toFile } from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../../dev/databases.js';
import { startGateway, type RunningGateway } from '../../src/app.js';
import { ManagedBatch } from '../../src/db/entities/index.js';
import { followBatch } from '../../src/domain/batches/poll.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/** Batches move only when a test advances them. */
const STILL = { validatingMs: 3_600_000, inProgressMs: 3_600_000, finalizingMs: 3_600_000, cancellingMs: 3_600_000 };

/**
 * The retrieve hot path (issue 10): a batch's routing is cached, a state that did not change is not written,
 * retrieves that arrive together share one provider call, and a freshness window can answer a polling loop
 * without the provider — none of which may show a caller a stale terminal state or another tenant's batch.
 */
describe.each(DATABASES)('batch retrieve (%s)', (db) => {
  let s: Stack;
  let replica: RunningGateway;
  let fileId: string;
  beforeAll(async () => {
    s = await startStack({ db, tracker: false, timing: STILL });
    // A second gateway on the same database: another replica behind the load balancer.
    replica = await startGateway({
      config: s.gateway.gw.config,
      databaseUrl: s.db.url,
      port: 0,
      grpcPort: false,
      tracker: false,
      logger: pino({ level: 'silent' }),
    });
    const file = await s.client.files.create({
      file: await toFile(Buffer.from(chatJsonl(2)), 'f.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    fileId = file.id;
  });
  afterAll(async () => {
    await replica?.close();
    await s?.close();
  });

  const create = () => s.client.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const upstreamOf = async (id: string) => {
    const row = await s.gateway.db.em().findOneOrFail(ManagedBatch, { id });
    return { emulator: row.deploymentId === 'east' ? s.east : s.west, providerId: row.providerBatchId, row };
  };
  const gets = (u: Awaited<ReturnType<typeof upstreamOf>>) =>
    u.emulator.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/batches/${u.providerId}`)).length;

  it('asks the provider on every retrieve by default, but writes the row only when the state changed', async () => {
    const b = await create();
    const u = await upstreamOf(b.id);
    const first = await s.client.batches.retrieve(b.id);
    const written = (await upstreamOf(b.id)).row.updatedAt;
    const before = gets(u);
    for (let i = 0; i < 5; i++) expect((await s.client.batches.retrieve(b.id)).status).toBe(first.status);
    expect(gets(u) - before).toBe(5);
    expect((await upstreamOf(b.id)).row.updatedAt).toBe(written);
  });

  it('answers a run of identical provider answers alike, and sees and stores the first change after it', async () => {
    const b = await create();
    const first = await s.client.batches.retrieve(b.id);
    for (let i = 0; i < 3; i++) expect(await s.client.batches.retrieve(b.id)).toEqual(first);
    const u = await upstreamOf(b.id);
    u.emulator.finishAll();
    const done = await s.client.batches.retrieve(b.id);
    expect(done.status).toBe('completed');
    expect(done.output_file_id).toMatch(/^file-/);
    expect(done.output_file_id).not.toBe(first.output_file_id);
    expect((await upstreamOf(b.id)).row.status).toBe('completed');
    expect(await s.client.batches.retrieve(b.id)).toEqual(done);
  });

  it('retrieves of one batch that arrive together share one provider call', async () => {
    const b = await create();
    const u = await upstreamOf(b.id);
    await s.client.batches.retrieve(b.id);
    const before = gets(u);
    // The provider holds the next retrieve long enough for all 20 to arrive while it is in flight.
    u.emulator.injectFault({ method: 'GET', path: `/openai/batches/${u.providerId}`, delayMs: 1500, times: 1 });
    const all = await Promise.all(Array.from({ length: 20 }, () => s.client.batches.retrieve(b.id)));
    expect(new Set(all.map((x) => x.id))).toEqual(new Set([b.id]));
    expect(gets(u) - before).toBeLessThan(5);
  });

  it('a key that cannot see a batch gets the same 404 after its owner has made it hot', async () => {
    const b = await create();
    await s.client.batches.retrieve(b.id);
    const other = await fetch(`${s.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const stranger = s.clientFor(((await other.json()) as { key: string }).key);
    const foreign = await stranger.batches.retrieve(b.id).catch((e) => e);
    const unknown = await stranger.batches.retrieve(`${b.id.slice(0, -4)}zzzz`).catch((e) => e);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.error.message.replace(b.id, 'ID')).toBe(unknown.error.message.replace(`${b.id.slice(0, -4)}zzzz`, 'ID'));
  });

  it('a batch that another replica saw finish is finished here too, with the same output file', async () => {
    const b = await create();
    const u = await upstreamOf(b.id);
    const viaReplica = new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    expect((await viaReplica.batches.retrieve(b.id)).status).not.toBe('completed'); // cached as running there
    u.emulator.finishAll();
    const here = await s.client.batches.retrieve(b.id);
    expect(here.status).toBe('completed');
    const there = await viaReplica.batches.retrieve(b.id);
    expect(there).toEqual(here);
  });
});

describe('batch retrieve with a freshness window (batch_retrieve_max_age_ms)', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false, timing: STILL, generalSettings: { batch_retrieve_max_age_ms: 60_000 } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers a polling loop from the last read of the provider', async () => {
    const file = await s.client.files.create({
      file: await toFile(Buffer.from(chatJsonl(2)), 'f.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    const b = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await s.client.batches.retrieve(b.id);
    const count = () => [...s.east.requests, ...s.west.requests].filter((r) => r.method === 'GET' && r.path.includes('/batches/')).length;
    const before = count();
    for (let i = 0; i < 10; i++) await s.client.batches.retrieve(b.id);
    expect(count()).toBe(before);
  });

  it('never answers from the window with a state older than one the tracker has since seen', async () => {
    const file = await s.client.files.create({
      file: await toFile(Buffer.from(chatJsonl(2)), 'f.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    const b = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await s.client.batches.retrieve(b.id)).status).not.toBe('completed'); // in the window from now on
    s.east.finishAll();
    s.west.finishAll();
    await followBatch(s.gateway.gw, b.id); // the tracker's poll, with a row of its own
    expect((await s.client.batches.retrieve(b.id)).status).toBe('completed');
  });
});
