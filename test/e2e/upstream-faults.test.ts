import { toFile } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../../dev/databases.js';
import { validateOpenAI } from '../support/openapi.js';
import { AZURE_KEY_EAST, AZURE_KEY_WEST, chatJsonl, startStack, type Stack } from '../support/stack.js';

/** Provider failures: all-or-nothing uploads, failover on create, retries, and secrets kept out of errors. */
describe.each(DATABASES)('upstream faults (%s)', (db) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db });
  });
  afterAll(async () => {
    await s?.close();
  });
  afterEach(() => {
    s.east.clearFaults();
    s.west.clearFaults();
  });

  const upload = async () =>
    s.client.files.create({
      file: await toFile(Buffer.from(chatJsonl(3)), 'f.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);

  it('rolls back the replicas already written when one deployment fails', async () => {
    const filesBefore = (await s.client.files.list()).data.length;
    const eastBefore = s.east.files.size;
    s.west.injectFault({ method: 'POST', path: '/openai/files', status: 500 });
    const err = await upload().catch((e) => e);
    expect(err.status).toBe(502);
    validateOpenAI('ErrorResponse', { error: err.error });
    expect(s.east.files.size).toBe(eastBefore); // written, then deleted
    expect(s.east.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/openai/files/'))).toBe(true);
    expect((await s.client.files.list()).data.length).toBe(filesBefore);
  });

  it('retries an upload that hit a transient 429 and succeeds', async () => {
    s.west.injectFault({ method: 'POST', path: '/openai/files', status: 429, retryAfter: 0, times: 1 });
    const file = await upload();
    expect(file.id).toMatch(/^file-/);
  });

  it('fails a batch create over to the other deployment when one is down', async () => {
    const file = await upload();
    s.east.injectFault({ method: 'POST', path: '/openai/batches', status: 503 });
    s.west.injectFault({ method: 'POST', path: '/openai/batches', status: 503 });
    const err = await s.client.batches
      .create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .catch((e) => e);
    expect(err.status).toBe(502);
    s.west.clearFaults();
    const westBefore = s.west.batches.size;
    for (let i = 0; i < 3; i++) {
      const b = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      await s.client.batches.cancel(b.id);
    }
    expect(s.west.batches.size - westBefore).toBe(3);
  });

  it('passes a provider 400 through as a 400 with the provider message, scrubbed of secrets', async () => {
    const file = await upload();
    const leaky = {
      error: {
        message: `Invalid request; api-key: ${AZURE_KEY_EAST} ${AZURE_KEY_WEST}`,
        type: 'invalid_request_error',
        param: null,
        code: 'token_limit_exceeded',
      },
    };
    s.east.injectFault({ method: 'POST', path: '/openai/batches', status: 400, body: leaky });
    s.west.injectFault({ method: 'POST', path: '/openai/batches', status: 400, body: leaky });
    const res = await fetch(`${s.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.client.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toContain('token_limit_exceeded');
    expect(text).not.toContain(AZURE_KEY_EAST);
    expect(text).not.toContain(AZURE_KEY_WEST);
  });

  it('retries a retrieve through a 5xx and a dropped connection', async () => {
    const file = await upload();
    const b = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (const e of [s.east, s.west]) {
      e.injectFault({ method: 'GET', path: '/openai/batches/', status: 502, times: 1 });
      e.injectFault({ method: 'GET', path: '/openai/batches/', dropConnection: true, times: 1 });
    }
    const got = await s.client.batches.retrieve(b.id);
    expect(got.id).toBe(b.id);
  });

  it('answers 503, not 500, when a deployment stays unreachable', async () => {
    const file = await upload();
    const b = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (const e of [s.east, s.west]) e.injectFault({ method: 'GET', path: '/openai/batches/', dropConnection: true });
    const err = await s.client.batches.retrieve(b.id).catch((e) => e);
    expect(err.status).toBe(503);
    for (const e of [s.east, s.west]) e.clearFaults();
  });

  it('never writes a provider secret to the logs', () => {
    const all = s.logs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(AZURE_KEY_EAST);
    expect(all).not.toContain(AZURE_KEY_WEST);
  });
});
