/**
 * Tests of the provider emulators themselves, driven through the real openai
 * SDK (and raw fetch where the SDK hides the detail), with every JSON answer
 * checked against the OpenAI spec's schemas.
 */
import OpenAI, {
  APIConnectionError,
  AuthenticationError,
  AzureOpenAI,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  toFile,
  toStreamingFile,
} from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { validateOpenAI } from '../support/openapi.js';
import { startAzureEmulator, startOpenAIEmulator, type EmulatorOptions, type ProviderEmulator } from '../../dev/emulators/index.js';

const MODEL = 'gpt-4o-mini';
/** Timers that never fire within a test: lifecycle moves only on advance()/finishAll(). */
const MANUAL: EmulatorOptions['timing'] = { validatingMs: 600_000, inProgressMs: 600_000, finalizingMs: 600_000, cancellingMs: 600_000 };

const running: ProviderEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

async function openai(opts: EmulatorOptions = {}): Promise<{ emu: ProviderEmulator; client: OpenAI }> {
  const emu = await startOpenAIEmulator(opts);
  running.push(emu);
  return { emu, client: new OpenAI({ baseURL: `${emu.url}/v1`, apiKey: emu.apiKey, maxRetries: 0 }) };
}

async function azure(opts: EmulatorOptions = {}): Promise<{ emu: ProviderEmulator; client: AzureOpenAI }> {
  const emu = await startAzureEmulator(opts);
  running.push(emu);
  return {
    emu,
    client: new AzureOpenAI({ endpoint: emu.url, apiKey: emu.apiKey, apiVersion: '2024-10-21', maxRetries: 0 }),
  };
}

type Line = Record<string, unknown> | string;

function chatLine(customId: string, body: Record<string, unknown> = {}, url = '/v1/chat/completions'): Line {
  return {
    custom_id: customId,
    method: 'POST',
    url,
    body: { model: MODEL, messages: [{ role: 'user', content: `Say hi to ${customId}` }], ...body },
  };
}

const jsonl = (lines: Line[]): string => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

async function uploadBatchInput(client: OpenAI, lines: Line[] | string, filename = 'input.jsonl') {
  const text = typeof lines === 'string' ? lines : jsonl(lines);
  const file = await client.files.create({ file: await toFile(Buffer.from(text), filename), purpose: 'batch' });
  validateOpenAI('OpenAIFile', file);
  return file;
}

async function createBatch(client: OpenAI, lines: Line[] | string, endpoint = '/v1/chat/completions') {
  const file = await uploadBatchInput(client, lines);
  const batch = await client.batches.create({
    input_file_id: file.id,
    endpoint: endpoint as '/v1/chat/completions',
    completion_window: '24h',
  });
  validateOpenAI('Batch', batch);
  return batch;
}

async function retrieve(client: OpenAI, id: string) {
  const batch = await client.batches.retrieve(id);
  validateOpenAI('Batch', batch);
  return batch;
}

async function waitForStatus(client: OpenAI, id: string, status: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await retrieve(client, id);
    if (batch.status === status) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status}, wanted ${status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function fileLines(client: OpenAI, id: string | null | undefined): Promise<any[]> {
  expect(id).toBeTruthy();
  const meta = await client.files.retrieve(id!);
  validateOpenAI('OpenAIFile', meta);
  expect(meta.purpose).toBe('batch_output');
  const text = await (await client.files.content(id!)).text();
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
}

/** Raw request; `auth` defaults to the emulator key as Bearer. */
function raw(emu: ProviderEmulator, method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit } = {}) {
  return fetch(emu.url + path, {
    method,
    headers: { authorization: `Bearer ${emu.apiKey}`, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

async function expectErrorEnvelope(
  res: Response,
  status: number,
): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = await res.json();
  validateOpenAI('ErrorResponse', body);
  validateOpenAI('Error', body.error);
  return body.error;
}

const tokensOf = (messages: unknown): number => Math.ceil(JSON.stringify(messages).length / 4);

describe('OpenAI emulator', () => {
  it('uploads, retrieves, lists, downloads and deletes files', async () => {
    const { emu, client } = await openai();
    const text = jsonl([chatLine('a')]);
    const file = await uploadBatchInput(client, text);
    expect(file).toMatchObject({
      object: 'file',
      bytes: Buffer.byteLength(text),
      filename: 'input.jsonl',
      purpose: 'batch',
      status: 'processed',
    });
    expect(file.id).toMatch(/^file-[A-Za-z0-9]{22}$/);
    expect(file.expires_at).toBe(file.created_at + 30 * 86400); // batch inputs default to 30 days
    expect(emu.files.get(file.id)?.content.toString()).toBe(text);

    const upload = emu.requests.find((r) => r.method === 'POST' && r.path === '/v1/files')!;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.headers['authorization']).toBe(`Bearer ${emu.apiKey}`);

    const withExpiry = await client.files.create({
      file: await toFile(Buffer.from('{}'), 'notes.json'),
      purpose: 'user_data',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    validateOpenAI('OpenAIFile', withExpiry);
    expect(withExpiry.expires_at).toBe(withExpiry.created_at + 3600);

    validateOpenAI('OpenAIFile', await client.files.retrieve(file.id));
    expect((await client.files.list({ purpose: 'batch' })).data.map((f) => f.id)).toEqual([file.id]);
    validateOpenAI('ListFilesResponse', await (await raw(emu, 'GET', '/v1/files?purpose=batch')).json());

    const content = await client.files.content(file.id);
    expect(content.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await content.arrayBuffer()).equals(Buffer.from(text))).toBe(true);

    const deleted = await client.files.delete(file.id);
    validateOpenAI('DeleteFileResponse', deleted);
    expect(deleted).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(client.files.retrieve(file.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('accepts a streamed (chunked) upload', async () => {
    const { emu, client } = await openai();
    const lines = Array.from({ length: 200 }, (_, i) => jsonl([chatLine(`s-${i}`)]));
    async function* chunks() {
      for (const line of lines) {
        yield new TextEncoder().encode(line);
        await new Promise((r) => setImmediate(r));
      }
    }
    const file = await client.files.create({ file: toStreamingFile(chunks(), 'streamed.jsonl'), purpose: 'batch' });
    validateOpenAI('OpenAIFile', file);
    expect(emu.requests.at(-1)?.headers['transfer-encoding']).toBe('chunked'); // no content-length: parsed as it arrives
    expect(emu.files.get(file.id)?.content.toString()).toBe(lines.join(''));
  });

  it('rejects uploads without purpose, with a bad purpose, or a non-.jsonl batch file', async () => {
    const { emu, client } = await openai();
    const form = (fields: Record<string, string>, filename = 'in.jsonl') => {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      fd.append('file', new Blob(['{}\n']), filename);
      return fd;
    };
    expect((await expectErrorEnvelope(await raw(emu, 'POST', '/v1/files', { body: form({}) }), 400)).param).toBe('purpose');
    expect((await expectErrorEnvelope(await raw(emu, 'POST', '/v1/files', { body: form({ purpose: 'batch_output' }) }), 400)).param).toBe(
      'purpose',
    );
    expect(
      (await expectErrorEnvelope(await raw(emu, 'POST', '/v1/files', { body: form({ purpose: 'batch' }, 'in.txt') }), 400)).param,
    ).toBe('file');
    await expect(
      client.files.create({
        file: await toFile(Buffer.from('x'), 'a.jsonl'),
        purpose: 'batch',
        expires_after: { anchor: 'created_at', seconds: 60 },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'expires_after.seconds' });
  });

  it('runs a chat batch through validating, in_progress and finalizing to completed on its timers', async () => {
    const { client, emu } = await openai();
    const lines = [
      chatLine('ok-1'),
      chatLine('fail-1'),
      chatLine('ok-short', { max_tokens: 3 }),
      chatLine('err-meta', { metadata: { emulate_error: 'context_length_exceeded' } }),
    ];
    const file = await uploadBatchInput(client, lines);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    validateOpenAI('Batch', created);
    expect(created).toMatchObject({ status: 'validating', errors: null, output_file_id: null, metadata: { job: 'nightly' } });
    expect(created.id).toMatch(/^batch_[0-9a-f]{32}$/);
    expect(created.expires_at).toBe(created.created_at + 86400);
    expect(created.request_counts).toEqual({ total: 0, completed: 0, failed: 0 });

    const done = await waitForStatus(client, created.id, 'completed');
    expect(done.in_progress_at).not.toBeNull();
    expect(done.finalizing_at).not.toBeNull();
    expect(done.completed_at).not.toBeNull();
    expect(done.model).toBe(MODEL);
    expect(done.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });

    const output = await fileLines(client, done.output_file_id);
    expect(output.map((l) => l.custom_id)).toEqual(['ok-1', 'ok-short']);
    const prompt = tokensOf((lines[0] as any).body.messages);
    for (const line of output) {
      expect(line.id).toMatch(/^batch_req_/);
      expect(line.error).toBeNull();
      expect(line.response.status_code).toBe(200);
      expect(line.response.body.object).toBe('chat.completion');
    }
    expect(output[0].response.body.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 10, total_tokens: prompt + 10 });
    expect(output[1].response.body.usage.completion_tokens).toBe(3);
    expect(output[1].response.body.choices[0].finish_reason).toBe('length');

    const errors = await fileLines(client, done.error_file_id);
    expect(errors.map((l) => l.custom_id)).toEqual(['fail-1', 'err-meta']);
    for (const line of errors) {
      expect(line.error).toBeNull();
      expect(line.response.status_code).toBe(400);
      validateOpenAI('ErrorResponse', line.response.body);
    }
    expect(errors[1].response.body.error.code).toBe('context_length_exceeded');

    const usage = output.reduce((sum, l) => sum + l.response.body.usage.total_tokens, 0);
    expect(done.usage?.total_tokens).toBe(usage);

    // The ids the batch names resolve to exactly the bytes the emulator stored.
    const stored = emu.files.get(done.output_file_id!)!;
    const served = Buffer.from(await (await client.files.content(stored.id)).arrayBuffer());
    expect(served.equals(stored.content)).toBe(true);
    expect(stored.bytes).toBe(stored.content.length);
  });

  it('writes /v1/responses and /v1/embeddings bodies with their usage shapes', async () => {
    const { client, emu } = await openai({ timing: MANUAL });
    const responses = await createBatch(
      client,
      [{ custom_id: 'r1', method: 'POST', url: '/v1/responses', body: { model: MODEL, input: 'Hello there', max_output_tokens: 4 } }],
      '/v1/responses',
    );
    const embeddings = await createBatch(
      client,
      [{ custom_id: 'e1', method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: ['a', 'b'] } }],
      '/v1/embeddings',
    );
    emu.finishAll();

    const [r] = await fileLines(client, (await retrieve(client, responses.id)).output_file_id);
    expect(r.response.body.object).toBe('response');
    expect(r.response.body.usage).toEqual({
      input_tokens: tokensOf('Hello there'),
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: tokensOf('Hello there') + 4,
    });

    const [e] = await fileLines(client, (await retrieve(client, embeddings.id)).output_file_id);
    expect(e.response.body.object).toBe('list');
    expect(e.response.body.data).toHaveLength(2);
    expect(e.response.body.usage).toEqual({ prompt_tokens: tokensOf(['a', 'b']), total_tokens: tokensOf(['a', 'b']) });
  });

  it.each([
    { code: 'invalid_json_line', lines: [chatLine('a'), '{"custom_id": "b",'], line: 2 },
    { code: 'duplicate_custom_id', lines: [chatLine('a'), chatLine('a')], line: 2 },
    { code: 'url_mismatch', lines: [chatLine('a', {}, '/v1/embeddings')], line: 1 },
    { code: 'model_mismatch', lines: [chatLine('a'), chatLine('b', { model: 'gpt-4.1-mini' })], line: 2 },
    { code: 'model_not_found', lines: [chatLine('a', { model: 'no-such-model' })], line: 1 },
    { code: 'empty_file', lines: '\n\n', line: null },
    { code: 'too_many_tasks', lines: [chatLine('a'), chatLine('b'), chatLine('c'), chatLine('d')], line: null },
  ])('fails validation with $code', async ({ code, lines, line }) => {
    const { client, emu } = await openai({ timing: MANUAL, maxLines: 3, deployments: [MODEL, 'gpt-4.1-mini'] });
    const batch = await createBatch(client, lines);
    emu.advance(batch.id);
    const failed = await retrieve(client, batch.id);
    expect(failed.status).toBe('failed');
    expect(failed.failed_at).not.toBeNull();
    expect(failed.in_progress_at).toBeNull();
    expect(failed.output_file_id).toBeNull();
    expect(failed.errors?.object).toBe('list');
    expect(failed.errors?.data?.[0]).toMatchObject({ code, line });
  });

  it.each([
    { param: 'input_file_id', body: { endpoint: '/v1/chat/completions', completion_window: '24h' } },
    { param: 'input_file_id', body: { input_file_id: 'file-missing', endpoint: '/v1/chat/completions', completion_window: '24h' } },
    { param: 'input_file_id', body: { input_file_id: 'USER_DATA', endpoint: '/v1/chat/completions', completion_window: '24h' } },
    { param: 'endpoint', body: { input_file_id: 'BATCH', endpoint: '/v1/audio/speech', completion_window: '24h' } },
    { param: 'completion_window', body: { input_file_id: 'BATCH', endpoint: '/v1/chat/completions', completion_window: '48h' } },
    {
      param: 'metadata',
      body: {
        input_file_id: 'BATCH',
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
      },
    },
    {
      param: 'metadata',
      body: { input_file_id: 'BATCH', endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { ['k'.repeat(65)]: 'v' } },
    },
    {
      param: 'metadata.k',
      body: { input_file_id: 'BATCH', endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { k: 'v'.repeat(513) } },
    },
    { param: 'model', body: { input_file_id: 'BATCH', endpoint: '/v1/chat/completions', completion_window: '24h', model: 'x' } },
  ])('rejects create with a 400 naming $param', async ({ param, body }) => {
    const { client, emu } = await openai({ timing: MANUAL });
    const batchFile = await uploadBatchInput(client, [chatLine('a')]);
    const userFile = await client.files.create({ file: await toFile(Buffer.from('x'), 'x.jsonl'), purpose: 'user_data' });
    const resolved = JSON.parse(JSON.stringify(body).replace('"BATCH"', `"${batchFile.id}"`).replace('"USER_DATA"', `"${userFile.id}"`));

    const err = await client.batches.create(resolved).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe(param);
    validateOpenAI('Error', (err as BadRequestError).error);

    await expectErrorEnvelope(
      await raw(emu, 'POST', '/v1/batches', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(resolved) }),
      400,
    );
    expect(emu.batches.size).toBe(0);
  });

  it('cancels a validating batch: every line becomes a batch_cancelled error line', async () => {
    const { client, emu } = await openai({ timing: MANUAL });
    const batch = await createBatch(client, [chatLine('a'), chatLine('b')]);
    const cancelling = await client.batches.cancel(batch.id);
    validateOpenAI('Batch', cancelling);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).not.toBeNull();
    // A repeated cancel is harmless while cancelling.
    expect((await client.batches.cancel(batch.id)).status).toBe('cancelling');

    emu.advance(batch.id);
    const cancelled = await retrieve(client, batch.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelled_at).not.toBeNull();
    expect(cancelled.output_file_id).toBeNull();
    const errors = await fileLines(client, cancelled.error_file_id);
    expect(errors).toHaveLength(2);
    for (const line of errors) {
      expect(line.response).toBeNull();
      expect(line.error.code).toBe('batch_cancelled');
    }
  });

  it('cancels an in_progress batch: half the lines done, the rest cancelled', async () => {
    const { client, emu } = await openai({ timing: MANUAL });
    const batch = await createBatch(
      client,
      ['a', 'b', 'c', 'd'].map((id) => chatLine(id)),
    );
    emu.advance(batch.id);
    expect((await retrieve(client, batch.id)).status).toBe('in_progress');
    await client.batches.cancel(batch.id);
    emu.advance(batch.id);

    const cancelled = await retrieve(client, batch.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.request_counts).toEqual({ total: 4, completed: 2, failed: 0 });
    expect((await fileLines(client, cancelled.output_file_id)).map((l) => l.custom_id)).toEqual(['a', 'b']);
    const errors = await fileLines(client, cancelled.error_file_id);
    expect(errors.map((l) => [l.custom_id, l.error.code, l.response])).toEqual([
      ['c', 'batch_cancelled', null],
      ['d', 'batch_cancelled', null],
    ]);
  });

  it('refuses to cancel a finished batch like OpenAI: "Cannot cancel a batch with status \'completed\'"', async () => {
    const { client, emu } = await openai({ timing: MANUAL });
    const batch = await createBatch(client, [chatLine('a')]);
    emu.finishAll();
    const err = await client.batches.cancel(batch.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain("Cannot cancel a batch with status 'completed'");
    validateOpenAI('Error', (err as BadRequestError).error);
  });

  it('expire() ends a running batch with batch_expired lines', async () => {
    const { client, emu } = await openai({ timing: MANUAL });
    const batch = await createBatch(client, [chatLine('a'), chatLine('b')]);
    emu.advance(batch.id);
    emu.expire(batch.id);
    const expired = await retrieve(client, batch.id);
    expect(expired.status).toBe('expired');
    expect(expired.expired_at).not.toBeNull();
    expect((await fileLines(client, expired.error_file_id)).map((l) => l.error.code)).toEqual(['batch_expired']);
  });

  it('lists batches newest first with cursor pagination', async () => {
    const { client, emu } = await openai({ timing: MANUAL });
    const file = await uploadBatchInput(client, [chatLine('a')]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    }
    const newestFirst = [...ids].reverse();

    const first = await (await raw(emu, 'GET', '/v1/batches?limit=2')).json();
    validateOpenAI('ListBatchesResponse', first);
    expect(first.data.map((b: { id: string }) => b.id)).toEqual(newestFirst.slice(0, 2));
    expect(first).toMatchObject({ object: 'list', first_id: newestFirst[0], last_id: newestFirst[1], has_more: true });

    const seen: string[] = [];
    for await (const batch of client.batches.list({ limit: 2 })) seen.push(batch.id);
    expect(seen).toEqual(newestFirst);
    const pages = emu.requests.filter((r) => r.method === 'GET' && r.path === '/v1/batches').slice(1);
    expect(pages.map((r) => r.query['after'])).toEqual([undefined, newestFirst[1], newestFirst[3]]);

    const end = await (await raw(emu, 'GET', `/v1/batches?after=${newestFirst[4]}`)).json();
    validateOpenAI('ListBatchesResponse', end);
    expect(end).toMatchObject({ data: [], has_more: false });

    expect((await expectErrorEnvelope(await raw(emu, 'GET', '/v1/batches?limit=101'), 400)).param).toBe('limit');
    expect((await expectErrorEnvelope(await raw(emu, 'GET', '/v1/batches?limit=0'), 400)).param).toBe('limit');
  });

  it('lists files by purpose and order with cursors', async () => {
    const { client, emu } = await openai();
    const a = await uploadBatchInput(client, [chatLine('a')], 'a.jsonl');
    await client.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'user_data' });
    const b = await uploadBatchInput(client, [chatLine('b')], 'b.jsonl');

    const asc = await (await raw(emu, 'GET', '/v1/files?purpose=batch&order=asc&limit=1')).json();
    validateOpenAI('ListFilesResponse', asc);
    expect(asc).toMatchObject({ data: [{ id: a.id }], first_id: a.id, last_id: a.id, has_more: true });
    const next = await (await raw(emu, 'GET', `/v1/files?purpose=batch&order=asc&after=${a.id}`)).json();
    expect(next).toMatchObject({ data: [{ id: b.id }], has_more: false });

    const all: string[] = [];
    for await (const f of client.files.list({ limit: 1 })) all.push(f.id);
    expect(all).toHaveLength(3);
    expect(all[0]).toBe(b.id); // newest first by default

    const empty = await (await raw(emu, 'GET', '/v1/files?purpose=vision')).json();
    validateOpenAI('ListFilesResponse', empty);
    expect(empty).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('answers unknown ids and paths with 404 envelopes and bad keys with 401', async () => {
    const { client, emu } = await openai();
    for (const call of [
      () => client.files.retrieve('file-nope'),
      () => client.batches.retrieve('batch_nope'),
      () => client.batches.cancel('batch_nope'),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      validateOpenAI('Error', (err as NotFoundError).error);
    }
    await expectErrorEnvelope(await raw(emu, 'GET', '/v1/files/file-nope/content'), 404);
    expect((await expectErrorEnvelope(await raw(emu, 'GET', '/v1/nothing-here'), 404)).message).toBe('Invalid URL (GET /v1/nothing-here)');

    const wrongKey = new OpenAI({ baseURL: `${emu.url}/v1`, apiKey: 'sk-wrong-key-123456', maxRetries: 0 });
    const err = await wrongKey.files.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('invalid_api_key');
    await expectErrorEnvelope(await fetch(`${emu.url}/v1/files`), 401);

    const { response, data, request_id } = await client.files
      .create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'user_data' })
      .withResponse();
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(request_id).toBe(response.headers.get('x-request-id'));
    validateOpenAI('OpenAIFile', data);
  });
});

describe('Azure emulator', () => {
  it('serves the dated API to AzureOpenAI: 201 upload, Azure ids, completed batch with an empty error file', async () => {
    const { emu, client } = await azure();
    const text = jsonl([chatLine('a'), chatLine('b')]);
    const file = await client.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
    validateOpenAI('OpenAIFile', file);
    expect(file.id).toMatch(/^file-[0-9a-f]{32}$/);
    const upload = emu.requests.at(-1)!;
    expect(upload).toMatchObject({ method: 'POST', path: '/openai/files', query: { 'api-version': '2024-10-21' } });
    expect(upload.headers['api-key']).toBe(emu.apiKey);

    const fd = new FormData();
    fd.append('purpose', 'batch');
    fd.append('file', new Blob([text]), 'raw.jsonl');
    const res = await fetch(`${emu.url}/openai/files?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': emu.apiKey },
      body: fd,
    });
    expect(res.status).toBe(201);
    const rawFile = await res.json();
    validateOpenAI('OpenAIFile', rawFile);
    expect(res.headers.get('location')).toBe(`${emu.url}/openai/files/${rawFile.id}?api-version=2024-10-21`);

    // Azure examples pass the endpoint without /v1 while lines keep it.
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    validateOpenAI('Batch', batch);
    expect(batch.id).toMatch(/^batch_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(batch).not.toHaveProperty('usage');
    expect(batch).not.toHaveProperty('model');

    emu.finishAll();
    const done = await client.batches.retrieve(batch.id);
    validateOpenAI('Batch', done);
    expect(done.status).toBe('completed');
    expect(done.error_file_id).toBeTruthy();
    const errorFile = await client.files.retrieve(done.error_file_id!);
    validateOpenAI('OpenAIFile', errorFile);
    expect(errorFile.bytes).toBe(0);
    expect(await (await client.files.content(done.error_file_id!)).text()).toBe('');
    const output = (await (await client.files.content(done.output_file_id!)).text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(output.map((l) => l.response.body.usage.completion_tokens)).toEqual([10, 10]);
  });

  it('requires api-version and api-key on dated paths', async () => {
    const { emu } = await azure({ apiVersions: ['2024-10-21'] });
    const key = { 'api-key': emu.apiKey };
    expect((await expectErrorEnvelope(await fetch(`${emu.url}/openai/files`, { headers: key }), 400)).param).toBe('api-version');
    expect((await expectErrorEnvelope(await fetch(`${emu.url}/openai/files?api-version=2099-01-01`, { headers: key }), 400)).param).toBe(
      'api-version',
    );
    await expectErrorEnvelope(await fetch(`${emu.url}/openai/files?api-version=2024-10-21`), 401);
    await expectErrorEnvelope(await fetch(`${emu.url}/openai/files?api-version=2024-10-21`, { headers: { 'api-key': 'wrong' } }), 401);
    // Dated paths take the key only as api-key.
    await expectErrorEnvelope(
      await fetch(`${emu.url}/openai/files?api-version=2024-10-21`, { headers: { authorization: `Bearer ${emu.apiKey}` } }),
      401,
    );
    const ok = await fetch(`${emu.url}/openai/files?api-version=2024-10-21`, { headers: key });
    expect(ok.status).toBe(200);
    validateOpenAI('ListFilesResponse', await ok.json());
  });

  it('serves the v1 API to the plain OpenAI client (Bearer, no api-version)', async () => {
    const { emu } = await azure({ timing: MANUAL });
    const client = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: emu.apiKey, maxRetries: 0 });
    const batch = await createBatch(client, [chatLine('a')]);
    expect(emu.requests.find((r) => r.path === '/openai/v1/files')?.query).toEqual({});
    emu.finishAll();
    expect((await retrieve(client, batch.id)).status).toBe('completed');

    const withKey = await fetch(`${emu.url}/openai/v1/batches`, { headers: { 'api-key': emu.apiKey } });
    validateOpenAI('ListBatchesResponse', await withKey.json());
    await expectErrorEnvelope(await fetch(`${emu.url}/openai/v1/batches`), 401);
  });

  it('fails batches whose lines name unknown or differing deployments', async () => {
    const { emu } = await azure({ timing: MANUAL, deployments: ['dep-a', 'dep-b'] });
    const client = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: emu.apiKey, maxRetries: 0 });
    const notFound = await createBatch(client, [chatLine('a', { model: 'gpt-4o-mini' })]);
    const mismatch = await createBatch(client, [chatLine('a', { model: 'dep-a' }), chatLine('b', { model: 'dep-b' })]);
    const good = await createBatch(client, [chatLine('a', { model: 'dep-b' })]);
    emu.advance();
    expect((await retrieve(client, notFound.id)).errors?.data?.[0]).toMatchObject({ code: 'model_not_found', line: 1 });
    expect((await retrieve(client, mismatch.id)).errors?.data?.[0]).toMatchObject({ code: 'model_mismatch', line: 2 });
    expect((await retrieve(client, good.id)).status).toBe('in_progress');
  });

  it('accepts batch creation on the deployment-scoped path AzureOpenAI uses with `deployment`', async () => {
    const { emu } = await azure({ timing: MANUAL });
    const client = new AzureOpenAI({
      endpoint: emu.url,
      apiKey: emu.apiKey,
      apiVersion: '2024-10-21',
      deployment: 'gpt-4o-mini',
      maxRetries: 0,
    });
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl([chatLine('a')])), 'in.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    validateOpenAI('Batch', batch);
    expect(emu.requests.at(-1)?.path).toBe('/openai/deployments/gpt-4o-mini/batches');
  });
});

describe('fault injection', () => {
  it('answers a status with Retry-After, then routes normally once `times` is used up', async () => {
    const { emu } = await openai();
    emu.injectFault({ method: 'GET', path: '/v1/files', status: 429, retryAfter: 7, times: 1 });
    const limited = await raw(emu, 'GET', '/v1/files');
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await expectErrorEnvelope(limited, 429)).code).toBe('rate_limit_exceeded');
    expect((await raw(emu, 'GET', '/v1/files')).status).toBe(200);
  });

  it('lets the SDK retry through faults with times: 2', async () => {
    const { emu } = await openai();
    const client = new OpenAI({ baseURL: `${emu.url}/v1`, apiKey: emu.apiKey, maxRetries: 2 });
    emu.injectFault({ path: /^\/v1\/batches$/, status: 503, retryAfter: 0, times: 2 });
    const page = await client.batches.list();
    expect(page.data).toEqual([]);
    const attempts = emu.requests.filter((r) => r.path === '/v1/batches');
    expect(attempts.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
  });

  it('matches on method and keeps applying until cleared; custom bodies pass through', async () => {
    const { emu, client } = await openai();
    emu.injectFault({ method: 'POST', path: '/v1/batches', status: 500 });
    emu.injectFault({ method: 'GET', path: '/v1/files/', status: 502, body: '<html>Bad gateway</html>' });
    expect((await client.batches.list()).data).toEqual([]);
    await expect(
      client.batches.create({ input_file_id: 'x', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(InternalServerError);
    await expect(
      client.batches.create({ input_file_id: 'x', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(InternalServerError);
    const gateway = await raw(emu, 'GET', '/v1/files/file-x');
    expect(gateway.status).toBe(502);
    expect(await gateway.text()).toBe('<html>Bad gateway</html>');
    emu.clearFaults();
    await expect(
      client.batches.create({ input_file_id: 'x', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('delays a request and then routes it normally', async () => {
    const { emu, client } = await openai();
    emu.injectFault({ path: '/v1/files', delayMs: 150, times: 1 });
    const started = Date.now();
    const page = await client.files.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(page.data).toEqual([]);
    const again = Date.now();
    await client.files.list();
    expect(Date.now() - again).toBeLessThan(140);
  });

  it('stores an upload but holds its answer (holdAnswerMs)', async () => {
    const { emu, client } = await openai();
    emu.injectFault({ method: 'POST', path: '/v1/files', holdAnswerMs: 300, times: 1 });
    let answered = false;
    const upload = client.files
      .create({ file: await toFile(Buffer.from(`${JSON.stringify(chatLine('a'))}\n`), 'a.jsonl'), purpose: 'batch' })
      .then((f) => {
        answered = true;
        return f;
      });
    for (let i = 0; i < 200 && emu.files.size === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(emu.files.size).toBe(1); // stored upstream…
    expect(answered).toBe(false); // …while the client still waits
    expect((await upload).id).toBe([...emu.files.keys()][0]);
  });

  it('drops the connection', async () => {
    const { emu } = await openai();
    emu.injectFault({ path: '/v1/batches', dropConnection: true, times: 1 });
    await expect(raw(emu, 'GET', '/v1/batches')).rejects.toThrow();
    expect((await raw(emu, 'GET', '/v1/batches')).status).toBe(200);

    const noRetry = new OpenAI({ baseURL: `${emu.url}/v1`, apiKey: emu.apiKey, maxRetries: 0 });
    emu.injectFault({ path: '/v1/batches', dropConnection: true, times: 1 });
    await expect(noRetry.batches.list()).rejects.toBeInstanceOf(APIConnectionError);

    const retrying = new OpenAI({ baseURL: `${emu.url}/v1`, apiKey: emu.apiKey, maxRetries: 1 });
    emu.injectFault({ path: '/v1/batches', dropConnection: true, times: 1 });
    expect((await retrying.batches.list()).data).toEqual([]);
  });
});

describe('emulator shutdown', () => {
  it('close() ends open connections, pending delays and lifecycle timers', async () => {
    const emu = await startOpenAIEmulator();
    const client = new OpenAI({ baseURL: `${emu.url}/v1`, apiKey: emu.apiKey, maxRetries: 0 });
    await createBatch(client, [chatLine('a')]); // leaves a lifecycle timer pending
    emu.injectFault({ path: '/v1/files', delayMs: 60_000 });
    const hanging = raw(emu, 'GET', '/v1/files').then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await emu.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toBe('dropped');
    await expect(raw(emu, 'GET', '/v1/batches')).rejects.toThrow();
    await emu.close(); // idempotent
  });
});
