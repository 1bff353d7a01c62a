import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../../dev/databases.js';
import { VERTEX_BUCKET } from '../../dev/emulated-stack.js';
import { validateOpenAI } from '../support/openapi.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { grpcClient, trpcClient } from '../support/transports.js';
import { waitForBatch } from '../support/wait.js';

/**
 * Vertex AI (Gemini) deployments behind the managed API: a Vertex-only group (`gemini-batch`) and a group
 * mixing one Azure and one Vertex deployment (`mixed-batch`), through the openai SDK, gRPC and tRPC, on the
 * emulators (OAuth token endpoint, GCS, batchPredictionJobs), on each database.
 */
describe.each(DATABASES)('Vertex AI deployments (%s)', (db) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db, vertex: true, tracker: false });
  });
  afterAll(async () => {
    await s?.close();
  });

  const vertex = () => s.vertex!;
  const gcsObjects = () => [...vertex().objects.values()].filter((o) => o.bucket === VERTEX_BUCKET && /^sluice\/file-[^/]+\//.test(o.name));
  /** The Gemini-format replicas (each has an OpenAI-format request copy beside it, `….openai.jsonl`). */
  const gcsInputs = () => gcsObjects().filter((o) => !o.name.endsWith('.openai.jsonl'));
  const upload = async (content: string, targets: string) =>
    s.client.files.create({ file: await toFile(Buffer.from(content), 'in.jsonl'), purpose: 'batch', target_model_names: targets } as never);
  const lines = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  it('runs a Vertex-only group over REST: Gemini lines in GCS, a job, OpenAI-format output and errors', async () => {
    const before = gcsInputs().length;
    const content =
      chatJsonl(3, 'gemini-batch') +
      JSON.stringify({
        custom_id: 'fail-1',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gemini-batch', messages: [{ role: 'user', content: 'x' }] },
      }) +
      '\n';
    const file = await upload(content, 'gemini-batch');
    validateOpenAI('OpenAIFile', file);
    expect(file.bytes).toBe(Buffer.byteLength(content));
    const objects = gcsInputs();
    expect(objects.length).toBe(before + 1);
    expect(objects.at(-1)!.name).toBe(`sluice/${file.id}/vertex-gemini.jsonl`);
    const gemini = lines(objects.at(-1)!.data.toString());
    expect(gemini[0]).toEqual({
      request: {
        contents: [{ role: 'user', parts: [{ text: 'Say hello #1' }] }],
        generationConfig: { maxOutputTokens: 20 },
        labels: { sluice_custom_id: 'req-1' },
      },
    });

    const copy = gcsObjects().find((o) => o.name === objects.at(-1)!.name.replace(/\.jsonl$/, '.openai.jsonl'))!;
    expect(lines(copy.data.toString()).map((l) => [l.custom_id, l.body.model])).toEqual([
      ['req-1', 'gemini-2.5-flash'],
      ['req-2', 'gemini-2.5-flash'],
      ['req-3', 'gemini-2.5-flash'],
      ['fail-1', 'gemini-2.5-flash'],
    ]);
    // The input's content is served from that OpenAI-format copy, never from the Gemini lines.
    const served = lines(await (await s.client.files.content(file.id)).text());
    expect(served.map((l) => l.custom_id)).toEqual(['req-1', 'req-2', 'req-3', 'fail-1']);
    expect(served.every((l) => l.url === '/v1/chat/completions' && Array.isArray(l.body.messages))).toBe(true);

    const batch = await s.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'gemini' },
    });
    validateOpenAI('Batch', batch);
    expect(batch.status).toBe('validating');
    expect(batch.metadata).toEqual({ job: 'gemini' }); // Vertex keeps none; the gateway does
    expect(batch.model).toBe('gemini-batch');
    const job = [...vertex().jobs.values()].at(-1)!;
    expect(job.model).toBe('publishers/google/models/gemini-2.5-flash');
    // The metadata (with the gateway's create-intent tag) rides in the job's labels, so listBatches finds it.
    const provider = s.gateway.gw.providers.for('vertex-gemini');
    const [newest] = (await provider.listBatches({ limit: 1 })).data;
    expect(newest).toMatchObject({ id: job.name.split('/').pop(), metadata: { job: 'gemini', sluice_intent: expect.any(String) } });
    expect(job.inputConfig.gcsSource.uris[0]).toBe(`gs://${VERTEX_BUCKET}/sluice/${file.id}/vertex-gemini.jsonl`);

    const done = await waitForBatch(s.client, batch.id, [vertex()]);
    validateOpenAI('Batch', done);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 4, completed: 3, failed: 1 });
    expect(done.metadata).toEqual({ job: 'gemini' });
    const out = lines(await (await s.client.files.content(done.output_file_id!)).text());
    expect(out.map((l) => l.custom_id).sort()).toEqual(['req-1', 'req-2', 'req-3']);
    expect(out[0]).toMatchObject({
      response: {
        status_code: 200,
        body: {
          object: 'chat.completion',
          model: 'gemini-2.5-flash-001',
          choices: [{ message: { role: 'assistant', content: 'Emulated Gemini reply 0.' }, finish_reason: 'stop' }],
        },
      },
      error: null,
    });
    expect(out[0].response.body.usage).toMatchObject({ completion_tokens: 12, completion_tokens_details: { reasoning_tokens: 2 } });
    const errors = lines(await (await s.client.files.content(done.error_file_id!)).text());
    expect(errors).toEqual([expect.objectContaining({ custom_id: 'fail-1', response: expect.objectContaining({ status_code: 400 }) })]);
    const late = await s.client.batches.cancel(done.id).catch((e: unknown) => e);
    expect(late).toMatchObject({ status: 400, code: 'batch_not_cancellable' }); // OpenAI's code, not Vertex's words
    const outFile = await s.client.files.retrieve(done.output_file_id!);
    expect(outFile).toMatchObject({ purpose: 'batch_output', bytes: out.map((l) => JSON.stringify(l) + '\n').join('').length });
  });

  it('records the cost once, from usageMetadata at Vertex batch prices', async () => {
    const file = await upload(chatJsonl(2, 'gemini-batch'), 'gemini-batch');
    const batch = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitForBatch(s.client, batch.id, [vertex()]);
    await s.client.batches.retrieve(done.id); // a second look at a finished batch must not bill again
    // Paging with `after` (Vertex pages by token): every job once, newest first.
    const provider = s.gateway.gw.providers.for('vertex-gemini');
    const seen: string[] = [];
    let after: string | undefined;
    for (let more = true; more; ) {
      const page = await provider.listBatches({ after, limit: 1 });
      seen.push(...page.data.map((b) => b.id));
      after = page.data.at(-1)?.id;
      more = page.has_more;
    }
    expect(seen).toEqual([...vertex().jobs.keys()].reverse());
    const logs = await (
      await fetch(`${s.url}/spend/logs?batch_id=${done.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
    ).json();
    expect(logs).toHaveLength(1);
    const [log] = logs;
    expect(log).toMatchObject({ model_group: 'gemini-batch', requests: 2, completion_tokens: 24, reasoning_tokens: 4 });
    // gemini-2.5-flash batch: $0.15 / 1M input, $1.25 / 1M output.
    expect(log.spend).toBeCloseTo(log.prompt_tokens * 0.15e-6 + log.completion_tokens * 1.25e-6, 12);
  });

  it('refuses a line Gemini cannot take with a 400 naming the line and parameter, before any byte goes anywhere', async () => {
    const gcsBefore = gcsInputs().length;
    const eastBefore = s.east.files.size;
    const vertexCalls = vertex().requests.length;
    const bad = [
      JSON.stringify({
        custom_id: 'a',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'mixed-batch', messages: [{ role: 'user', content: 'x' }] },
      }),
      '',
      JSON.stringify({
        custom_id: 'b',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'mixed-batch', messages: [{ role: 'user', content: 'x' }], logprobs: true },
      }),
    ].join('\n');
    const err = await upload(bad, 'mixed-batch').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, param: 'file', code: 'unsupported_parameter' });
    expect((err as Error).message).toContain('line 3: body.logprobs has no Gemini equivalent');
    expect(gcsInputs().length).toBe(gcsBefore);
    expect(s.east.files.size).toBe(eastBefore);
    expect(vertex().requests.length).toBe(vertexCalls);
    // The same file is fine for an Azure-only group.
    await expect(upload(bad.replaceAll('mixed-batch', 'gpt-4o-batch'), 'gpt-4o-batch')).resolves.toMatchObject({ object: 'file' });
  });

  it('mixed group: one upload, an OpenAI replica on Azure and a Gemini one in GCS; creates land on both; cancel; delete', async () => {
    const gcsBefore = gcsInputs().length;
    const file = await upload(chatJsonl(2, 'mixed-batch'), 'mixed-batch');
    const azureCopy = [...s.east.files.values()].filter((f) => f.purpose === 'batch').at(-1)!;
    expect(lines(azureCopy.content.toString()).map((l) => l.body.model)).toEqual(['gpt-4o-east', 'gpt-4o-east']);
    expect(gcsInputs().length).toBe(gcsBefore + 1);
    expect(lines(gcsInputs().at(-1)!.data.toString())[1].request.labels).toEqual({ sluice_custom_id: 'req-2' });

    const eastJobs = s.east.batches.size;
    const vertexJobs = vertex().jobs.size;
    const batches = [];
    for (let i = 0; i < 4; i++)
      batches.push(await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }));
    expect(s.east.batches.size - eastJobs).toBeGreaterThanOrEqual(1);
    expect(vertex().jobs.size - vertexJobs).toBeGreaterThanOrEqual(1);
    const cancelled = await s.client.batches.cancel(batches[3].id);
    expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    for (const b of batches.slice(0, 3)) {
      const done = await waitForBatch(s.client, b.id, [s.east, vertex()]);
      expect(done.status).toBe('completed');
      const out = lines(await (await s.client.files.content(done.output_file_id!)).text());
      expect(out.map((l) => l.custom_id).sort()).toEqual(['req-1', 'req-2']);
      expect(out.every((l) => l.response.status_code === 200 && l.response.body.object === 'chat.completion')).toBe(true);
    }
    expect((await waitForBatch(s.client, batches[3].id, [s.east, vertex()])).status).toBe('cancelled');

    const objectsBefore = gcsObjects().length;
    const deleted = await s.client.files.delete(file.id);
    expect(deleted.deleted).toBe(true);
    expect(gcsInputs().length).toBe(gcsBefore);
    expect(gcsObjects().length).toBe(objectsBefore - 2); // the Gemini lines and the request copy
    expect([...s.east.files.values()].some((f) => f.id === azureCopy.id)).toBe(false);
  });

  it('the same flow through gRPC and tRPC', async () => {
    for (const make of [grpcClient, trpcClient]) {
      const c = make(s, MASTER_KEY);
      try {
        const file = await c.upload(chatJsonl(2, 'gemini-batch'), 'g.jsonl', ['gemini-batch']);
        const batch = await c.createBatch(file.id);
        const advancing = setInterval(() => vertex().advance(), 50);
        let seen: Awaited<ReturnType<typeof c.untilTerminal>>;
        try {
          seen = await c.untilTerminal(batch.id);
        } finally {
          clearInterval(advancing);
        }
        const done = seen.at(-1)!;
        expect(done.status, c.name).toBe('completed');
        const out = lines(await c.content(String(done.output_file_id)));
        expect(out.map((l) => l.custom_id).sort(), c.name).toEqual(['req-1', 'req-2']);
        expect(out[0].response.body.choices[0].message.content).toBe('Emulated Gemini reply 0.');
      } finally {
        c.close();
      }
    }
  });

  it('upstream faults: a failed GCS write leaves no replica anywhere; a Vertex 503 on create fails over to Azure', async () => {
    const eastBefore = [...s.east.files.values()].filter((f) => f.purpose === 'batch').length;
    const gcsBefore = gcsObjects().length;
    vertex().injectFault({ method: 'POST', path: `/upload/storage/v1/b/${VERTEX_BUCKET}/o`, status: 403, times: 2 });
    const err = await upload(chatJsonl(2, 'mixed-batch'), 'mixed-batch').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: expect.any(Number) });
    expect((err as { status: number }).status).toBeGreaterThanOrEqual(400);
    vertex().clearFaults();
    expect([...s.east.files.values()].filter((f) => f.purpose === 'batch').length).toBe(eastBefore);
    expect(gcsObjects().length).toBe(gcsBefore);

    const file = await upload(chatJsonl(2, 'mixed-batch'), 'mixed-batch');
    const eastJobs = s.east.batches.size;
    vertex().injectFault({ method: 'POST', path: /batchPredictionJobs$/, status: 503 });
    try {
      for (let i = 0; i < 3; i++) {
        const b = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
        expect(b.status).toBe('validating');
      }
    } finally {
      vertex().clearFaults();
    }
    expect(s.east.batches.size - eastJobs).toBe(3);
  });

  it('isolation rows for a Vertex batch: owner team sees it, other tenants and raw Vertex/GCS IDs get the same 404', async () => {
    const call = (key: string, method: string, path: string, body?: unknown) =>
      fetch(`${s.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    const admin = async (path: string, body: unknown) => (await call(MASTER_KEY, 'POST', path, body)).json();
    await admin('/team/new', { team_id: 'vx-a', models: ['gemini-batch'] });
    await admin('/team/new', { team_id: 'vx-b', models: ['gemini-batch'] });
    const owner = (await admin('/key/generate', { team_id: 'vx-a' })).key as string;
    const teammate = (await admin('/key/generate', { team_id: 'vx-a' })).key as string;
    const other = (await admin('/key/generate', { team_id: 'vx-b' })).key as string;
    const ownerClient = s.clientFor(owner);
    const file = await ownerClient.files.create({
      file: await toFile(Buffer.from(chatJsonl(2, 'gemini-batch')), 'iso.jsonl'),
      purpose: 'batch',
      target_model_names: 'gemini-batch',
    } as never);
    const batch = await ownerClient.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitForBatch(ownerClient, batch.id, [vertex()]);
    const job = [...vertex().jobs.values()].at(-1)!;
    const rawJob = job.name.split('/').pop()!;
    const rawFile = encodeURIComponent(job.inputConfig.gcsSource.uris[0]);
    const paths = [
      `/v1/batches/${batch.id}`,
      `/v1/files/${file.id}`,
      `/v1/files/${file.id}/content`,
      `/v1/files/${done.output_file_id}`,
      `/v1/files/${done.output_file_id}/content`,
    ];
    for (const path of paths) {
      for (const [who, key, status] of [
        ['owner', owner, 200],
        ['teammate', teammate, 200],
        ['master', MASTER_KEY, 200],
        ['other team', other, 404],
      ] as const) {
        expect((await call(key, 'GET', path)).status, `${path} as ${who}`).toBe(status);
      }
    }
    const unknown = await (await call(other, 'GET', `/v1/batches/batch_${'Z'.repeat(32)}`)).json();
    const foreign = await (await call(other, 'GET', `/v1/batches/${batch.id}`)).json();
    expect(JSON.stringify(foreign).replace(batch.id, 'ID')).toBe(JSON.stringify(unknown).replace(`batch_${'Z'.repeat(32)}`, 'ID'));
    for (const key of [owner, MASTER_KEY]) {
      expect((await call(key, 'GET', `/v1/batches/${rawJob}`)).status).toBe(404);
      expect((await call(key, 'GET', `/v1/files/${rawFile}`)).status).toBe(404);
      expect(
        (
          await call(key, 'POST', '/v1/batches', {
            input_file_id: job.inputConfig.gcsSource.uris[0],
            endpoint: '/v1/chat/completions',
            completion_window: '24h',
          })
        ).status,
      ).toBe(404);
    }
    expect((await call(other, 'POST', `/v1/batches/${batch.id}/cancel`)).status).toBe(404);
    expect((await call(other, 'DELETE', `/v1/files/${file.id}`)).status).toBe(404);
    expect(gcsInputs().some((o) => `gs://${o.bucket}/${o.name}` === job.inputConfig.gcsSource.uris[0])).toBe(true);
    expect((await call(teammate, 'DELETE', `/v1/files/${file.id}`)).status).toBe(200);
    expect(gcsInputs().some((o) => `gs://${o.bucket}/${o.name}` === job.inputConfig.gcsSource.uris[0])).toBe(false);
  });

  it('/model_group/info shows the provider of each deployment, and no endpoint or project', async () => {
    const info = await (await fetch(`${s.url}/model_group/info`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).json();
    const mixed = info.data.find((g: { model_group: string }) => g.model_group === 'mixed-batch');
    expect(mixed).toMatchObject({ providers: ['azure', 'vertex_ai'], deployments: 2, deployment_providers: ['azure', 'vertex_ai'] });
    const text = JSON.stringify(info);
    expect(text).not.toContain(vertex().url);
    expect(text).not.toContain(vertex().project);
  });
});
