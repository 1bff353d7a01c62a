import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient } from '../../src/providers/http/client.js';
import { ProviderError } from '../../src/providers/types.js';

/** A tiny upstream whose answers each test sets, to see what UpstreamClient makes of them. */
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('{}');
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => answer(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (extra: Partial<ConstructorParameters<typeof UpstreamClient>[0]> = {}) =>
  new UpstreamClient({
    baseUrl,
    headers: { authorization: 'Bearer sk-secret-upstream' },
    timeoutMs: 5_000,
    secrets: ['sk-secret-upstream'],
    ...extra,
  });

const json = (status: number, body: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
};

describe('UpstreamClient', () => {
  it('parses a JSON answer sent in several chunks', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"batch_1",');
      setTimeout(() => res.end(`"note":"${'é'.repeat(50_000)}"}`), 5);
    };
    const got = await client().json<{ id: string; note: string }>({ method: 'GET', path: '/batches/batch_1' });
    expect(got.id).toBe('batch_1');
    expect(got.note).toBe('é'.repeat(50_000)); // a multi-byte character split across chunks survives
  });

  it('with `reuse`, an identical answer is the same object and a changed one a new one; without it, always new', async () => {
    const c = client();
    let body = '{"id":"batch_r","status":"in_progress"}';
    answer = (req, res) => json(200, body)(req, res);
    const call = { method: 'GET' as const, path: '/batches/batch_r', reuse: true };
    const first = await c.json(call);
    expect(await c.json(call)).toBe(first);
    expect(await c.json({ ...call, reuse: false })).not.toBe(first);
    body = '{"id":"batch_r","status":"completed"}';
    const changed = await c.json<{ status: string }>(call);
    expect(changed).not.toBe(first);
    expect(changed.status).toBe('completed');
    expect(await c.json({ ...call, path: '/batches/other' })).not.toBe(changed);
  });

  it("maps an error answer to a ProviderError with the provider's message, scrubbed of the deployment's key", async () => {
    answer = json(400, '{"error":{"message":"bad key sk-secret-upstream","code":"invalid","param":"x"}}');
    const err = await client()
      .json({ method: 'GET', path: '/batches/x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 400, providerCode: 'invalid', providerParam: 'x' });
    expect((err as Error).message).not.toContain('sk-secret-upstream');
  });

  it('retries a 5xx when asked to, and answers with the attempt that succeeded', async () => {
    let calls = 0;
    answer = (req, res) => (++calls < 2 ? json(503, '{"error":{"message":"busy"}}') : json(200, '{"ok":true}'))(req, res);
    expect(await client().json({ method: 'GET', path: '/x', retry: true })).toEqual({ ok: true });
    expect(calls).toBe(2);
  });

  it('a body that is not JSON is a 502', async () => {
    answer = json(200, '<html>');
    await expect(client().json({ method: 'GET', path: '/x' })).rejects.toMatchObject({ status: 502 });
  });

  it("an abort signal ends a call that is waiting for its answer, with the signal's reason", async () => {
    answer = () => undefined; // never answers
    const abort = new AbortController();
    const pending = client().json({ method: 'GET', path: '/slow', signal: abort.signal });
    setTimeout(() => abort.abort(new Error('caller left')), 20);
    await expect(pending).rejects.toThrow('caller left');
    const already = new AbortController();
    already.abort(new Error('gone before'));
    await expect(client().json({ method: 'GET', path: '/slow', signal: already.signal })).rejects.toThrow('gone before');
  });

  it('no answer within the timeout is a ProviderError with status 0', async () => {
    answer = () => undefined;
    await expect(client({ timeoutMs: 100 }).json({ method: 'GET', path: '/slow' })).rejects.toMatchObject({ status: 0 });
  });
});
