import { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, Status } from 'nice-grpc';
import { createSluiceGrpcClient, uploadRequests } from '../../clients/grpc/index.js';
import { validateOpenAI } from '../support/openapi.js';
import { DATABASES } from '../../dev/databases.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const good = (id: string, model = 'gpt-4o-batch') =>
  line({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: 'hi' }] } });

/** Every user mistake: a clear 4xx in OpenAI's envelope, and nothing written upstream. */
describe.each(DATABASES)('bad input is refused cleanly (%s)', (db) => {
  let s: Stack;
  let uploadsBefore = 0;
  const upstreamUploads = () =>
    [s.east, s.west, s.openai].reduce((n, e) => n + e.requests.filter((r) => r.method === 'POST' && /\/files$/.test(r.path)).length, 0);

  beforeAll(async () => {
    s = await startStack({ db, limits: { max_batch_file_bytes: 64 * 1024, max_batch_file_lines: 20 } });
  });
  afterAll(async () => {
    await s?.close();
  });
  beforeEach(() => {
    uploadsBefore = upstreamUploads();
  });

  /** Raw multipart, as curl -F would send it, so field order and odd shapes are under our control. */
  async function rawUpload(parts: { name: string; value: string; filename?: string }[], key = MASTER_KEY) {
    const form = new FormData();
    for (const p of parts) {
      if (p.filename !== undefined) form.append(p.name, new Blob([p.value], { type: 'application/octet-stream' }), p.filename);
      else form.append(p.name, p.value);
    }
    const res = await fetch(`${s.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    return { status: res.status, body: await res.json() };
  }

  const fileCases: [string, string, number, RegExp, string | null][] = [
    ['invalid JSON', `${good('a')}\n{"custom_id": "b",\n`, 400, /line 2: not valid JSON/, 'invalid_json_line'],
    ['a line that is not an object', `${good('a')}\n[1,2]\n`, 400, /line 2: must be a JSON object/, 'invalid_json_line'],
    [
      'duplicate custom_id',
      `${good('a')}\n${good('b')}\n${good('a')}\n`,
      400,
      /line 3: custom_id "a" is also used on line 1/,
      'duplicate_custom_id',
    ],
    [
      'missing custom_id',
      line({ method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-batch' } }),
      400,
      /line 1: "custom_id"/,
      'invalid_request',
    ],
    [
      'method GET',
      line({ custom_id: 'a', method: 'GET', url: '/v1/chat/completions', body: { model: 'gpt-4o-batch' } }),
      400,
      /line 1: "method" must be "POST"/,
      'invalid_request',
    ],
    [
      'unknown url',
      line({ custom_id: 'a', method: 'POST', url: '/v1/nope', body: { model: 'gpt-4o-batch' } }),
      400,
      /line 1: "url" must be one of/,
      'url_mismatch',
    ],
    [
      'mixed urls',
      `${good('a')}\n${line({ custom_id: 'b', method: 'POST', url: '/v1/embeddings', body: { model: 'gpt-4o-batch', input: 'x' } })}\n`,
      400,
      /line 2: "url" is \/v1\/embeddings/,
      'url_mismatch',
    ],
    [
      'missing body.model',
      line({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: {} }),
      400,
      /line 1: "body.model"/,
      'invalid_request',
    ],
    [
      'body.model not in target_model_names',
      `${good('a')}\n${good('b', 'gpt-4o-mini-batch')}\n`,
      400,
      /line 2: "body.model" is 'gpt-4o-mini-batch'/,
      'model_mismatch',
    ],
    [
      'a second "body" spelled bo\\u0064y',
      `${good('a')}\n${good('b').slice(0, -1)},"bo\\u0064y":{"model":"gpt-4o-batch"}}\n`,
      400,
      /line 2: the key "body" appears more than once/,
      'duplicate_key',
    ],
    [
      'a second "model" spelled mod\\u0065l',
      `${good('a').replace('"model":', '"mod\\u0065l":"gpt-4o-mini-batch","model":')}\n`,
      400,
      /line 1: the key "model" appears more than once in "body"/,
      'duplicate_key',
    ],
    [
      'a line nesting 10,000 deep',
      `${good('a').replace('"messages":', `"x":${'['.repeat(10_000)}${']'.repeat(10_000)},"messages":`)}\n`,
      400,
      /line 1: nests deeper than 256 levels/,
      'line_too_deep',
    ],
    ['an empty file', '\n\n', 400, /no requests/, 'empty_file'],
    ['too many lines', chatJsonl(21), 400, /more than 20 requests/, 'too_many_tasks'],
    ['too many bytes', chatJsonl(20).padEnd(70 * 1024, '\n'), 413, /larger than the limit/, 'file_too_large'],
  ];

  it.each(fileCases)('%s → %i with the line number', async (_name, content, status, message, code) => {
    const res = await rawUpload([
      { name: 'purpose', value: 'batch' },
      { name: 'target_model_names', value: 'gpt-4o-batch' },
      { name: 'file', value: content, filename: 'bad.jsonl' },
    ]);
    expect(res.status).toBe(status);
    validateOpenAI('ErrorResponse', res.body);
    expect(res.body.error.message).toMatch(message);
    expect(res.body.error.code).toBe(code);
    expect(upstreamUploads()).toBe(uploadsBefore);
  });

  it('refuses a line nesting 10,000 deep over gRPC as INVALID_ARGUMENT, naming the line', async () => {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const deep = `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","bo\\u0064y":{"mod\\u0065l":"gpt-4o-batch","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}\n`;
    const err = await c.files
      .uploadFile(uploadRequests({ filename: 'deep.jsonl', purpose: 'batch', targetModelNames: [] }, deep))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/line 1: nests deeper than 256 levels/);
    expect(upstreamUploads()).toBe(uploadsBefore);
  });

  it('reports the same errors to the SDK (file part first), as the right error class', async () => {
    const err = await s.client.files
      .create({
        file: await toFile(Buffer.from(`${good('a')}\nnot json\n`), 'x.jsonl'),
        purpose: 'batch',
        target_model_names: 'gpt-4o-batch',
      } as never)
      .catch((e) => e);
    expect(err.constructor.name).toBe('BadRequestError');
    expect(err.status).toBe(400);
    expect(err.error.message).toMatch(/line 2/);
    expect(upstreamUploads()).toBe(uploadsBefore);
  });

  const formCases: [string, { name: string; value: string; filename?: string }[], number, RegExp][] = [
    [
      'unknown target group',
      [
        { name: 'purpose', value: 'batch' },
        { name: 'target_model_names', value: 'nope' },
        { name: 'file', value: good('a'), filename: 'a.jsonl' },
      ],
      400,
      /Unknown model group 'nope'/,
    ],
    [
      'missing purpose',
      [
        { name: 'target_model_names', value: 'gpt-4o-batch' },
        { name: 'file', value: good('a'), filename: 'a.jsonl' },
      ],
      400,
      /purpose/,
    ],
    [
      'wrong purpose',
      [
        { name: 'purpose', value: 'fine-tune' },
        { name: 'file', value: good('a'), filename: 'a.jsonl' },
      ],
      400,
      /purpose must be "batch"/,
    ],
    [
      'missing file',
      [
        { name: 'purpose', value: 'batch' },
        { name: 'target_model_names', value: 'gpt-4o-batch' },
      ],
      400,
      /Missing 'file'/,
    ],
    [
      'bad expires_after',
      [
        { name: 'purpose', value: 'batch' },
        { name: 'expires_after[anchor]', value: 'created_at' },
        { name: 'expires_after[seconds]', value: '10' },
        { name: 'file', value: good('a'), filename: 'a.jsonl' },
      ],
      400,
      /expires_after/,
    ],
  ];

  it.each(formCases)('%s → %i', async (_name, parts, status, message) => {
    const res = await rawUpload(parts);
    expect(res.status).toBe(status);
    validateOpenAI('ErrorResponse', res.body);
    expect(res.body.error.message).toMatch(message);
    expect(upstreamUploads()).toBe(uploadsBefore);
  });

  it('rejects a body that is not multipart', async () => {
    const res = await fetch(`${s.url}/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    validateOpenAI('ErrorResponse', await res.json());
  });

  it('accepts target_model_names as comma-separated or repeated fields', async () => {
    const a = await rawUpload([
      { name: 'purpose', value: 'batch' },
      { name: 'target_model_names', value: 'gpt-4o-batch,gpt-4o-mini-batch' },
      { name: 'file', value: `${good('a')}\n${good('b', 'gpt-4o-mini-batch')}\n`, filename: 'a.jsonl' },
    ]);
    expect(a.status).toBe(200);
    const b = await rawUpload([
      { name: 'purpose', value: 'batch' },
      { name: 'target_model_names', value: 'gpt-4o-batch' },
      { name: 'target_model_names', value: 'gpt-4o-mini-batch' },
      { name: 'file', value: good('a'), filename: 'a.jsonl' },
    ]);
    expect(b.status).toBe(200);
    expect(upstreamUploads()).toBe(uploadsBefore + 6); // 3 deployments each
  });

  describe('batch create', () => {
    let fileId: string;
    beforeAll(async () => {
      fileId = (
        await s.client.files.create({
          file: await toFile(Buffer.from(chatJsonl(2)), 'ok.jsonl'),
          purpose: 'batch',
          target_model_names: 'gpt-4o-batch',
        } as never)
      ).id;
    });
    const createCases: [string, Record<string, unknown>, number, RegExp, string | null][] = [
      ['bad endpoint', { endpoint: '/v1/nope', completion_window: '24h' }, 400, /endpoint/, 'endpoint'],
      [
        'endpoint the file does not use',
        { endpoint: '/v1/embeddings', completion_window: '24h' },
        400,
        /file's requests use \/v1\/chat\/completions/,
        'endpoint',
      ],
      [
        'bad completion_window',
        { endpoint: '/v1/chat/completions', completion_window: '48h' },
        400,
        /completion_window/,
        'completion_window',
      ],
      [
        'too much metadata',
        {
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
        },
        400,
        /16/,
        'metadata',
      ],
      [
        'long metadata value',
        { endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { k: 'x'.repeat(513) } },
        400,
        /512/,
        null,
      ],
    ];
    it.each(createCases)('%s → %i', async (_name, params, status, message, param) => {
      const before = s.east.batches.size + s.west.batches.size;
      const res = await fetch(`${s.url}/v1/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input_file_id: fileId, ...params }),
      });
      expect(res.status).toBe(status);
      const body = await res.json();
      validateOpenAI('ErrorResponse', body);
      expect(body.error.message).toMatch(message);
      if (param) expect(body.error.param).toBe(param);
      expect(s.east.batches.size + s.west.batches.size).toBe(before);
    });

    it('unknown, raw provider and altered IDs are 404 everywhere', async () => {
      const rawFileId = [...s.east.files.keys()][0];
      const altered = fileId.slice(0, -1) + (fileId.endsWith('a') ? 'b' : 'a');
      for (const id of ['file-doesnotexist000000000000', rawFileId, altered, '../../etc', '']) {
        const err = await s.client.batches
          .create({ input_file_id: id || 'x', endpoint: '/v1/chat/completions', completion_window: '24h' })
          .catch((e) => e);
        expect(err.status).toBe(404);
        validateOpenAI('ErrorResponse', err.error ? { error: err.error } : err);
        expect((await s.client.files.retrieve(id || 'x').catch((e) => e)).status).toBe(404);
        expect((await s.client.files.content(id || 'x').catch((e) => e)).status).toBe(404);
        expect((await s.client.files.delete(id || 'x').catch((e) => e)).status).toBe(404);
      }
      const rawBatch = await s.client.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const rawBatchId = [...s.east.batches.keys(), ...s.west.batches.keys()][0];
      for (const id of ['batch_unknown', rawBatchId, rawBatch.id.slice(0, -1) + (rawBatch.id.endsWith('a') ? 'b' : 'a')]) {
        const err = await s.client.batches.retrieve(id).catch((e) => e);
        expect(err.status).toBe(404);
        expect(err.constructor.name).toBe('NotFoundError');
        expect((await s.client.batches.cancel(id).catch((e) => e)).status).toBe(404);
      }
      await s.client.batches.cancel(rawBatch.id);
    });

    it('answers 401 without a key or with a wrong one', async () => {
      for (const headers of [{}, { authorization: 'Bearer sk-wrong' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
        const res = await fetch(`${s.url}/v1/batches`, { headers });
        expect(res.status).toBe(401);
        validateOpenAI('ErrorResponse', await res.json());
      }
      const err = await s
        .clientFor('sk-wrong')
        .batches.list()
        .catch((e) => e);
      expect(err.constructor.name).toBe('AuthenticationError');
    });

    it('answers malformed JSON bodies and unknown routes with the envelope', async () => {
      const res = await fetch(`${s.url}/v1/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: '{"input_file_id":',
      });
      expect(res.status).toBe(400);
      validateOpenAI('ErrorResponse', await res.json());
      const nope = await fetch(`${s.url}/v1/nothing-here`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(nope.status).toBe(404);
      validateOpenAI('ErrorResponse', await nope.json());
      const badLimit = await fetch(`${s.url}/v1/batches?limit=abc`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(badLimit.status).toBe(400);
    });
  });
});
