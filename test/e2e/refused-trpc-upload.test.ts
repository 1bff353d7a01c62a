import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceClient, uploadBody, type AppRouter } from '../../clients/trpc/index.js';
import { badSecondLine } from '../support/bad-jsonl.js';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';

const MB = 1024 * 1024;
const BODY_BYTES = 40 * MB;
/** Far below the stack's whole-request timeout (600 s) and body idle timeout (30 s), far above a normal answer. */
const PROMPT_MS = 8_000;

/** Resolves with what the socket received once `done(text)` says it is complete, or fails after `ms`. */
function readUntil(socket: Socket, done: (text: string) => boolean, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`nothing complete within ${ms} ms; got: ${text.slice(0, 300)}`)), ms);
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (!done(text)) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
  });
}

/** One whole HTTP response: its Content-Length's worth of body, or a chunked body's last chunk. */
const completeResponse = (text: string) => {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split));
  return length ? text.length - split - 4 >= Number(length[1]) : text.endsWith('\r\n0\r\n\r\n');
};

/**
 * A tRPC byte-stream upload refused part-way (issue 8: hostile input never holds a connection). The refusal goes
 * out at once, and the rest of the body is read and thrown away, so the connection serves its next request
 * instead of sitting paused, with megabytes queued, until the whole-request timeout.
 */
describe('a tRPC byte-stream upload refused part-way', () => {
  let s: Stack;
  let body: Buffer;
  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false, limits: { max_batch_file_bytes: 400 * MB, max_batch_file_lines: 2_000_000 } });
    body = await badSecondLine(BODY_BYTES);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers 400 with the line number at once, through the tRPC client', async () => {
    const t = createSluiceClient(s.url, MASTER_KEY);
    const started = Date.now();
    const err = await t.files.uploadStream.mutate(uploadBody({ filename: 'bad.jsonl', purpose: 'batch' }, body)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    expect(err).toBeInstanceOf(TRPCClientError);
    const { data, message } = err as TRPCClientError<AppRouter>;
    expect(data).toMatchObject({ httpStatus: 400, code: 'BAD_REQUEST', openai: { type: 'invalid_request_error', param: 'file' } });
    expect(message).toMatch(/line 2\b/);
    // The gateway still serves the same client.
    expect((await t.models.list.query()).data.length).toBeGreaterThan(0);
  });

  const header = (fields: object) => Buffer.from(`${JSON.stringify(fields)}\n`);
  it.each([
    { refusal: 'a bad line 2', auth: true, head: () => header({ filename: 'bad.jsonl', purpose: 'batch' }), status: 400, says: /line 2\b/ },
    {
      refusal: 'no purpose (a field checked before the content)',
      auth: true,
      head: () => header({ filename: 'x.jsonl' }),
      status: 400,
      says: /purpose/,
    },
    { refusal: 'a header line that is not JSON', auth: true, head: () => Buffer.from('{purpose\n'), status: 400, says: /not JSON/ },
    { refusal: 'no key', auth: false, head: () => header({ purpose: 'batch' }), status: 401, says: /key/i },
  ])(
    '$refusal: answers $status at once, reads and discards the rest of the body, and serves the next request on the connection',
    async ({ auth, head, status, says }) => {
      const { port } = new URL(s.url);
      const socket = connect(Number(port), '127.0.0.1');
      const failed = new Promise<never>((_, reject) => socket.on('error', reject));
      failed.catch(() => undefined); // reported through the races below
      await once(socket, 'connect');
      const framed = Buffer.concat([head(), body]);
      const key = auth ? `Authorization: Bearer ${MASTER_KEY}\r\n` : '';
      socket.write(
        `POST /trpc/files.uploadStream HTTP/1.1\r\nHost: sluice\r\n${key}Content-Type: application/octet-stream\r\nContent-Length: ${framed.length}\r\n\r\n`,
      );
      const started = Date.now();
      const answer = readUntil(socket, completeResponse, PROMPT_MS);
      // The whole body goes out: a server that stopped reading would leave it stuck in the socket's buffers.
      const sent = new Promise<void>((resolve) => socket.write(framed, () => resolve()));
      const refusal = await Promise.race([answer, failed]);
      expect(refusal).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(refusal, refusal).toMatch(says);
      expect(refusal).not.toMatch(/\r\nconnection: *close/i);
      await Promise.race([
        sent,
        failed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('the server stopped reading the body')), PROMPT_MS)),
      ]);
      // Same connection, next request: answered, so the refused body was read to its end.
      socket.write('GET /health/liveliness HTTP/1.1\r\nHost: sluice\r\n\r\n');
      expect(await Promise.race([readUntil(socket, completeResponse, PROMPT_MS), failed])).toMatch(/^HTTP\/1\.1 200 /);
      expect(Date.now() - started).toBeLessThan(2 * PROMPT_MS);
      socket.destroy();
    },
  );
});

/** Past the largest body the route accepts, the rest is not worth reading: the connection closes instead. */
describe('a tRPC byte-stream upload far over the file limit', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false, limits: { max_batch_file_bytes: 2 * MB } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('has its connection closed after the answer rather than read to the end', async () => {
    const socket = connect(Number(new URL(s.url).port), '127.0.0.1');
    socket.on('error', () => undefined); // the server resets a connection it stops reading
    const closed = new Promise((resolve) => socket.once('close', resolve));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    await once(socket, 'connect');
    const body = Buffer.alloc(60 * MB, '\n'); // blank lines: valid, and too many bytes
    const head = Buffer.from(`${JSON.stringify({ purpose: 'batch' })}\n`);
    socket.write(
      `POST /trpc/files.uploadStream HTTP/1.1\r\nHost: sluice\r\nAuthorization: Bearer ${MASTER_KEY}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${head.length + body.length}\r\n\r\n`,
    );
    socket.write(head);
    socket.write(body);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the connection stayed open')), PROMPT_MS))]);
    // The answer went out before the reset; whether this socket still read it is up to the kernel, not to us.
    if (received) expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect((await fetch(`${s.url}/health/liveliness`)).status).toBe(200);
  });
});
