import { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../../dev/databases.js';
import { validateOpenAI } from '../support/openapi.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/** /azure/v1/* and /openai/v1/*: pass-through, raw IDs, but owned and isolated like everything else. */
describe.each(DATABASES)('provider routes (%s)', (db) => {
  let s: Stack;
  const keys: Record<string, string> = {};
  const call = async (key: string | undefined, method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    if (body && !(body instanceof FormData)) headers['content-type'] = 'application/json';
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers,
      body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: any = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* content */
    }
    return { status: res.status, body: json };
  };
  const form = (model: string) => {
    const f = new FormData();
    f.append('purpose', 'batch');
    f.append('file', new Blob([chatJsonl(2, model)]), 'raw.jsonl');
    return f;
  };

  beforeAll(async () => {
    s = await startStack({ db });
    const gen = async (body: object) => (await call(MASTER_KEY, 'POST', '/key/generate', body)).body.key;
    await call(MASTER_KEY, 'POST', '/team/new', { team_id: 'pr-a' });
    await call(MASTER_KEY, 'POST', '/team/new', { team_id: 'pr-b' });
    keys.alice = await gen({ team_id: 'pr-a', allow_provider_routes: true });
    keys.bob = await gen({ team_id: 'pr-b', allow_provider_routes: true });
    keys.plain = await gen({ team_id: 'pr-a' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('passes a file and a batch through to Azure with raw IDs, readable only by the owner team', async () => {
    const up = await call(keys.alice, 'POST', '/azure/v1/files', form('gpt-4o-east'));
    expect(up.status).toBe(200);
    validateOpenAI('OpenAIFile', up.body);
    expect(s.east.files.has(up.body.id)).toBe(true); // raw provider ID, as the route promises
    expect((await call(keys.alice, 'GET', `/azure/v1/files/${up.body.id}`)).status).toBe(200);
    expect((await call(keys.bob, 'GET', `/azure/v1/files/${up.body.id}`)).status).toBe(404);
    expect((await call(keys.bob, 'GET', `/azure/v1/files/${up.body.id}/content`)).status).toBe(404);
    expect((await call(keys.bob, 'DELETE', `/azure/v1/files/${up.body.id}`)).status).toBe(404);
    expect((await call(keys.plain, 'GET', `/azure/v1/files/${up.body.id}`)).status).toBe(403);
    expect((await call(undefined, 'GET', `/azure/v1/files/${up.body.id}`)).status).toBe(401);
    // A raw ID from the provider route is not a managed ID.
    expect((await call(keys.alice, 'GET', `/v1/files/${up.body.id}`)).status).toBe(404);

    const create = { input_file_id: up.body.id, endpoint: '/v1/chat/completions', completion_window: '24h' };
    expect((await call(keys.bob, 'POST', '/azure/v1/batches', create)).status).toBe(404);
    const batch = await call(keys.alice, 'POST', '/azure/v1/batches', create);
    expect(batch.status).toBe(200);
    validateOpenAI('Batch', batch.body);
    expect((await call(keys.bob, 'GET', `/azure/v1/batches/${batch.body.id}`)).status).toBe(404);
    expect((await call(keys.bob, 'POST', `/azure/v1/batches/${batch.body.id}/cancel`)).status).toBe(404);
    s.east.finishAll();
    const done = await call(keys.alice, 'GET', `/azure/v1/batches/${batch.body.id}`);
    expect(done.body.status).toBe('completed');
    const out = await call(keys.alice, 'GET', `/azure/v1/files/${done.body.output_file_id}/content`);
    expect(out.status).toBe(200);
    expect((await call(keys.bob, 'GET', `/azure/v1/files/${done.body.output_file_id}/content`)).status).toBe(404);

    const aliceList = await call(keys.alice, 'GET', '/azure/v1/batches');
    expect(aliceList.body.data.map((b: { id: string }) => b.id)).toEqual([batch.body.id]);
    const bobList = await call(keys.bob, 'GET', '/azure/v1/batches');
    expect(bobList.body.data).toEqual([]);
    expect((await call(keys.bob, 'GET', `/azure/v1/batches?after=${batch.body.id}`)).body.data).toEqual([]);
    const files = await call(keys.alice, 'GET', '/azure/v1/files');
    expect(files.body.data.map((f: { id: string }) => f.id)).toContain(up.body.id);
    expect((await call(keys.bob, 'GET', '/azure/v1/files')).body.data).toEqual([]);
    expect((await call(keys.alice, 'DELETE', `/azure/v1/files/${up.body.id}`)).body.deleted).toBe(true);
    expect(s.east.files.has(up.body.id)).toBe(false);
  });

  it('passes through to OpenAI for the master key', async () => {
    const up = await call(MASTER_KEY, 'POST', '/openai/v1/files', form('gpt-4o-mini'));
    expect(up.status).toBe(200);
    expect(s.openai.files.has(up.body.id)).toBe(true);
    const batch = await call(MASTER_KEY, 'POST', '/openai/v1/batches', {
      input_file_id: up.body.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(batch.status).toBe(200);
    expect((await call(keys.alice, 'GET', `/openai/v1/batches/${batch.body.id}`)).status).toBe(404);
  });

  it('serves an AzureOpenAI SDK client pointed at sluice through the managed routes', async () => {
    const az = new AzureOpenAI({
      endpoint: s.url,
      apiKey: keys.alice,
      apiVersion: '2024-10-21',
      deployment: 'gpt-4o-batch',
      maxRetries: 0,
    });
    const file = await az.files.create({ file: await toFile(Buffer.from(chatJsonl(2)), 'az.jsonl'), purpose: 'batch' });
    expect(file.id).toMatch(/^file-[A-Za-z0-9]{24}$/);
    const batch = await az.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(batch.id).toMatch(/^batch_/);
    expect((await az.batches.retrieve(batch.id)).id).toBe(batch.id);
    expect((await s.clientFor(keys.alice).batches.retrieve(batch.id)).id).toBe(batch.id);
    await az.batches.cancel(batch.id);
  });
});
