import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateOpenAI } from '../support/openapi.js';
import { DATABASES } from '../../dev/databases.js';
import { chatJsonl, startStack, type Stack } from '../support/stack.js';
import { waitForBatch } from '../support/wait.js';

/** The seed's developer flow, through the unmodified OpenAI SDK, on each database. */
describe.each(DATABASES)('managed files and batches over REST (%s)', (db) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db });
  });
  afterAll(async () => {
    await s?.close();
  });

  async function upload(content = chatJsonl(4), extra: Record<string, unknown> = { target_model_names: 'gpt-4o-batch' }) {
    return s.client.files.create({ file: await toFile(Buffer.from(content), 'mydata.jsonl'), purpose: 'batch', ...extra } as never);
  }

  it('uploads once and writes a rewritten copy to every deployment of the group', async () => {
    const file = await upload(chatJsonl(3));
    validateOpenAI('OpenAIFile', file);
    expect(file.id).toMatch(/^file-[A-Za-z0-9]{24}$/);
    expect(file.purpose).toBe('batch');
    expect(file.filename).toBe('mydata.jsonl');
    expect(file.bytes).toBe(Buffer.byteLength(chatJsonl(3)));
    for (const [emu, deployment] of [
      [s.east, 'gpt-4o-east'],
      [s.west, 'gpt-4o-west'],
    ] as const) {
      const copies = [...emu.files.values()].filter((f) => f.purpose === 'batch');
      const copy = copies.at(-1)!;
      const lines = copy.content
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(3);
      expect(lines.every((l) => l.body.model === deployment)).toBe(true);
      expect(lines.map((l) => l.custom_id)).toEqual(['req-1', 'req-2', 'req-3']);
      expect(copy.id).not.toBe(file.id);
    }
    const fetched = await s.client.files.retrieve(file.id);
    expect(fetched).toEqual(file);
  });

  it('runs the seed flow: create, retrieve until completed, read output, list, cancel', async () => {
    const file = await upload(chatJsonl(4));
    const batch = await s.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'seed' },
    });
    validateOpenAI('Batch', batch);
    expect(batch.id).toMatch(/^batch_[A-Za-z0-9]{32}$/);
    expect(batch.input_file_id).toBe(file.id);
    expect(batch.metadata).toEqual({ job: 'seed' });

    const done = await waitForBatch(s.client, batch.id, [s.east, s.west]);
    validateOpenAI('Batch', done);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
    expect(done.output_file_id).toMatch(/^file-/);
    const rawIds = [...s.east.files.keys(), ...s.west.files.keys()];
    expect(rawIds).not.toContain(done.output_file_id);
    expect(rawIds).not.toContain(done.input_file_id);

    const outFile = await s.client.files.retrieve(done.output_file_id!);
    validateOpenAI('OpenAIFile', outFile);
    expect(outFile.purpose).toBe('batch_output');
    const text = await (await s.client.files.content(done.output_file_id!)).text();
    // The provider's bytes, except that the deployment's model (response.body.model) is named by its group.
    const asCallerSees = (content: Buffer) => content.toString().replace(/"model":"gpt-4o-(?:east|west)"/g, '"model":"gpt-4o-batch"');
    const upstreamOut = [...s.east.files.values(), ...s.west.files.values()].find(
      (f) => f.purpose === 'batch_output' && asCallerSees(f.content) === text,
    );
    expect(upstreamOut, 'output bytes are the provider bytes, the model named by its group').toBeDefined();
    const outLines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(outLines.map((l) => l.custom_id).sort()).toEqual(['req-1', 'req-2', 'req-3', 'req-4']);
    expect(outLines[0].response.body.usage.prompt_tokens).toBeGreaterThan(0);

    const listed = await s.client.batches.list({ target_model_names: 'gpt-4o-batch' } as never);
    validateOpenAI(
      'ListBatchesResponse',
      await (await s.client.batches.list({ target_model_names: 'gpt-4o-batch' } as never).asResponse()).json(),
    );
    expect(listed.data.map((b) => b.id)).toContain(batch.id);
    const otherGroup = await s.client.batches.list({ target_model_names: 'gpt-4o-mini-batch' } as never);
    expect(otherGroup.data.map((b) => b.id)).not.toContain(batch.id);

    const second = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const cancelling = await s.client.batches.cancel(second.id);
    validateOpenAI('Batch', cancelling);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const cancelled = await waitForBatch(s.client, second.id, [s.east, s.west]);
    expect(cancelled.status).toBe('cancelled');
  });

  it('spreads creates over both deployments and keeps every batch on its own', async () => {
    const file = await upload(chatJsonl(2));
    const beforeEast = s.east.batches.size;
    const beforeWest = s.west.batches.size;
    const batches = [];
    for (let i = 0; i < 6; i++) {
      batches.push(await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }));
    }
    // Creates go to the deployment with fewer running batches (earlier tests may leave up to two running),
    // then alternate: each deployment gets at least two of six.
    expect(s.east.batches.size - beforeEast).toBeGreaterThanOrEqual(2);
    expect(s.west.batches.size - beforeWest).toBeGreaterThanOrEqual(2);
    expect(s.east.batches.size - beforeEast + s.west.batches.size - beforeWest).toBe(6);
    // Sticky: every retrieve goes to the deployment that holds the batch.
    for (const b of batches) {
      const eastGets = s.east.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/openai/batches/')).length;
      const westGets = s.west.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/openai/batches/')).length;
      await s.client.batches.retrieve(b.id);
      const eastAfter = s.east.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/openai/batches/')).length;
      const westAfter = s.west.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/openai/batches/')).length;
      expect(eastAfter - eastGets + westAfter - westGets).toBe(1);
      const onEast = eastAfter > eastGets;
      const rawId = (onEast ? s.east : s.west).requests.at(-1)!.path.split('/').at(-1)!;
      expect((onEast ? s.east : s.west).batches.has(rawId)).toBe(true);
    }
    await Promise.all(batches.map((b) => s.client.batches.cancel(b.id)));
  });

  it('paginates batches and files with cursors', async () => {
    const file = await upload(chatJsonl(1));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    }
    const page1 = await s.client.batches.list({ limit: 2 });
    expect(page1.data).toHaveLength(2);
    expect(page1.has_more).toBe(true);
    const all: string[] = [];
    for await (const b of s.client.batches.list({ limit: 2 })) all.push(b.id);
    expect(new Set(all).size).toBe(all.length);
    for (const id of ids) expect(all).toContain(id);

    const files = await s.client.files.list({ limit: 1, purpose: 'batch' });
    validateOpenAI('ListFilesResponse', await (await s.client.files.list({ limit: 1, purpose: 'batch' }).asResponse()).json());
    expect(files.data).toHaveLength(1);
    expect(files.has_more).toBe(true);
    const seen: string[] = [];
    for await (const f of s.client.files.list({ limit: 2 })) seen.push(f.id);
    expect(seen).toContain(file.id);
    const asc = await s.client.files.list({ order: 'asc', limit: 100 });
    expect(asc.data.map((f) => f.created_at)).toEqual([...asc.data.map((f) => f.created_at)].sort((a, b) => a - b));
    // A cursor past the end is an empty page, not an error (old SDKs page until empty).
    const last = asc.data.at(-1)!.id;
    const empty = await s.client.files.list({ order: 'asc', after: last });
    expect(empty.data).toEqual([]);
    await Promise.all(ids.map((id) => s.client.batches.cancel(id)));
  });

  it('deletes every replica with the file', async () => {
    const file = await upload(chatJsonl(2));
    // Count input files only: batches of earlier tests may still write output files meanwhile.
    const inputs = (e: typeof s.east) => [...e.files.values()].filter((f) => f.purpose === 'batch').length;
    const eastBefore = inputs(s.east);
    const westBefore = inputs(s.west);
    const deleted = await s.client.files.delete(file.id);
    validateOpenAI('DeleteFileResponse', deleted);
    expect(deleted).toEqual({ id: file.id, object: 'file', deleted: true });
    expect(inputs(s.east)).toBe(eastBefore - 1);
    expect(inputs(s.west)).toBe(westBefore - 1);
    await expect(s.client.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
  });

  it('routes a single-deployment OpenAI group and infers targets from body.model', async () => {
    const file = await upload(chatJsonl(2, 'gpt-4o-mini-batch'), {});
    const copy = [...s.openai.files.values()].at(-1)!;
    expect(JSON.parse(copy.content.toString().split('\n')[0]).body.model).toBe('gpt-4o-mini');
    const batch = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitForBatch(s.client, batch.id, [s.openai]);
    expect(done.status).toBe('completed');
    expect(done.model).toBe('gpt-4o-mini-batch');
  });

  it('serves /model_group/info, /v1/models and the health probes', async () => {
    const info = await (await fetch(`${s.url}/model_group/info`, { headers: { authorization: `Bearer ${s.client.apiKey}` } })).json();
    expect(info.data.map((g: { model_group: string }) => g.model_group).sort()).toEqual(['gpt-4o-batch', 'gpt-4o-mini-batch']);
    expect(info.data[0].mode).toBe('batch');
    const models = await s.client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['gpt-4o-batch', 'gpt-4o-mini-batch']);
    expect((await fetch(`${s.url}/health/liveliness`)).status).toBe(200);
    expect((await fetch(`${s.url}/health/readiness`)).status).toBe(200);
    expect(JSON.stringify(info)).not.toContain(s.east.url);
  });
});
