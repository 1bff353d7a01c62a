import { toFile } from 'openai';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient } from '../../clients/grpc/index.js';
import { DATABASES } from '../../dev/databases.js';
import { validateOpenAI } from '../support/openapi.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/** `Idempotency-Key` on batch create: a retried create returns the first batch instead of running a second. */
describe.each(DATABASES)('idempotent batch create (%s)', (db) => {
  let s: Stack;
  let fileId: string;
  const upstreamBatches = () => s.east.batches.size + s.west.batches.size;
  const create = (key: string | undefined, body: Record<string, unknown>, apiKey = MASTER_KEY) =>
    fetch(`${s.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h', ...body }),
    });

  beforeAll(async () => {
    s = await startStack({ db });
    fileId = (
      await s.client.files.create({
        file: await toFile(Buffer.from(chatJsonl(2)), 'i.jsonl'),
        purpose: 'batch',
        target_model_names: 'gpt-4o-batch',
      } as never)
    ).id;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers a repeat with the same batch and creates nothing more upstream', async () => {
    const before = upstreamBatches();
    const first = await create('retry-1', { metadata: { a: '1', b: '2' } });
    expect(first.status).toBe(200);
    const b1 = await first.json();
    // The same request again (metadata in another order is the same request).
    const again = await create('retry-1', { metadata: { b: '2', a: '1' } });
    expect(again.status).toBe(200);
    const b2 = await again.json();
    validateOpenAI('Batch', b2);
    expect(b2.id).toBe(b1.id);
    expect(upstreamBatches()).toBe(before + 1);
    // Through the SDK's own request options, and over gRPC metadata: the same key, the same batch.
    const viaSdk = await s.client.batches.create(
      { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { a: '1', b: '2' } },
      { headers: { 'Idempotency-Key': 'retry-1' } },
    );
    expect(viaSdk.id).toBe(b1.id);
    const grpc = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    try {
      const viaGrpc = await grpc.batches.createBatch(
        { inputFileId: fileId, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: { a: '1', b: '2' } },
        { metadata: Metadata({ authorization: `Bearer ${MASTER_KEY}`, 'idempotency-key': 'retry-1' }) },
      );
      expect(viaGrpc.id).toBe(b1.id);
    } finally {
      grpc.close();
    }
    expect(upstreamBatches()).toBe(before + 1);
  });

  it('refuses a key reused for a different request with 409, and keeps keys per caller', async () => {
    const first = await create('reuse', {});
    expect(first.status).toBe(200);
    const different = await create('reuse', { metadata: { x: 'y' } });
    expect(different.status).toBe(409);
    validateOpenAI('ErrorResponse', await different.json());
    // Another caller's "reuse" is its own key: it gets its own batch.
    const gen = await (
      await fetch(`${s.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json();
    const own = (
      await s.clientFor(gen.key).files.create({
        file: await toFile(Buffer.from(chatJsonl(1)), 'o.jsonl'),
        purpose: 'batch',
        target_model_names: 'gpt-4o-batch',
      } as never)
    ).id;
    const other = await fetch(`${s.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gen.key}`, 'content-type': 'application/json', 'idempotency-key': 'reuse' },
      body: JSON.stringify({ input_file_id: own, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });
    expect(other.status).toBe(200);
    expect((await other.json()).id).not.toBe((await first.json()).id);
  });

  it('frees the key when the create fails, so a corrected retry works', async () => {
    const bad = await create('after-failure', { input_file_id: 'file-' + 'Q'.repeat(24) });
    expect(bad.status).toBe(404);
    const good = await create('after-failure', {});
    expect(good.status).toBe(200);
  });

  it('creates a new batch each time without a key', async () => {
    const before = upstreamBatches();
    const a = await (await create(undefined, {})).json();
    const b = await (await create(undefined, {})).json();
    expect(a.id).not.toBe(b.id);
    expect(upstreamBatches()).toBe(before + 2);
  });
});
