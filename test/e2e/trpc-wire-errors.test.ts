import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';

const auth = { authorization: `Bearer ${MASTER_KEY}` };

/**
 * Errors raised under /trpc before tRPC runs (by Fastify: a content type, a body over the limit, a bad URL, no
 * route) once came in REST's envelope, which a tRPC client cannot read: found by test/fuzz/trpc-calls.test.ts,
 * whose first counterexamples these are. They take tRPC's shape, with the same `data.openai` as tRPC's own.
 */
describe('errors under /trpc that tRPC never sees', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false });
  });
  afterAll(async () => {
    await s?.close();
  });

  it.each([
    {
      what: 'a content type tRPC does not read',
      method: 'DELETE',
      path: '/trpc/models.groups',
      type: 'text/plain',
      body: '[]',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      openaiCode: 'unsupported_media_type',
    },
    {
      what: 'a bad percent-encoding in the URL',
      method: 'GET',
      path: '/trpc/%?input=%7B%7D',
      status: 400,
      code: 'BAD_REQUEST',
      openaiCode: 'invalid_url',
    },
    {
      what: 'a JSON body over 1 MiB',
      method: 'POST',
      path: '/trpc/keys.generate',
      type: 'application/json',
      body: JSON.stringify({ key_alias: 'a'.repeat(1_100_000) }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      openaiCode: 'payload_too_large',
    },
    { what: 'no procedure path', method: 'GET', path: '/trpc/', status: 404, code: 'NOT_FOUND', openaiCode: 'unknown_procedure' },
    {
      what: 'a path with a slash',
      method: 'GET',
      path: '/trpc/files/list',
      status: 404,
      code: 'NOT_FOUND',
      openaiCode: 'unknown_procedure',
    },
  ])('$what → $status in tRPC’s shape', async ({ method, path, type, body, status, code, openaiCode }) => {
    const res = await fetch(`${s.url}${path}`, { method, headers: { ...auth, ...(type ? { 'content-type': type } : {}) }, body });
    expect(res.status).toBe(status);
    const { error } = (await res.json()) as { error: { message: string; code: number; data: Record<string, unknown> } };
    expect(typeof error.message).toBe('string');
    expect(typeof error.code).toBe('number');
    expect(error.data).toMatchObject({
      code,
      httpStatus: status,
      openai: { type: 'invalid_request_error', param: null, code: openaiCode },
    });
  });

  it('leaves REST’s envelope as it was outside /trpc', async () => {
    const res = await fetch(`${s.url}/v1/files`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', code: 'unsupported_media_type' }) });
    expect((await fetch(`${s.url}/trpcx`)).status).toBe(404);
    expect(((await (await fetch(`${s.url}/v1/%`)).json()) as { error: { code: string } }).error.code).toBe('invalid_url');
  });
});
