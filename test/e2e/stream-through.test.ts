import { once } from 'node:events';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, uploadRequests } from '../../clients/grpc/index.js';
import { createSluiceClient, uploadBody } from '../../clients/trpc/index.js';
import { DATABASES } from '../../dev/databases.js';
import type { RecordedRequest } from '../../dev/emulators/index.js';
import { ManagedFile } from '../../src/db/entities/index.js';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { until } from '../support/tracking.js';

/**
 * The managed upload as a stream-through (domain/files/stream-through.ts): past 8 MiB, with the fields known
 * before the content, the copies go upstream while the file is still being validated, and their ends are held
 * back until it has passed. The proof that matters: a bad line near the end of a big file cuts every copy off
 * mid-body, and no emulator stores a file. The copies are seen to have started (the emulators recorded their
 * requests) before the bad line is even sent, so the test does not depend on timing.
 */
const MB = 1024 * 1024;
const TARGETS = ['gpt-4o-batch', 'gpt-4o-mini-batch']; // three copies: east, west, openai
const COPIES = 3;

function line(n: number, model = 'gpt-4o-batch'): string {
  return `${JSON.stringify({ custom_id: `r-${n}`, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `#${n} ${'x'.repeat(900)}` }] } })}\n`;
}

/** `mb` MiB of valid lines in 1 MiB chunks, numbered from 1; `then` is sent after them (a bad line, the rest). */
function fileOf(mb: number): { chunks: Buffer[]; lines: number } {
  const chunks: Buffer[] = [];
  let n = 0;
  for (let i = 0; i < mb; i++) {
    let s = '';
    while (s.length < MB - 1000) s += line(++n);
    chunks.push(Buffer.from(s));
  }
  return { chunks, lines: n };
}

const BAD_TAIL = (after: number) =>
  Buffer.from(`${line(after + 1)}{"custom_id": "broken", "method": "POST",\n${line(after + 3)}${line(after + 4)}`);

describe.each(DATABASES)('stream-through uploads (%s)', (dbKind) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db: dbKind });
  });
  afterAll(async () => {
    await s?.close();
  });

  const emulators = () => [s.east, s.west, s.openai];
  /** The upload requests the emulators received (at or after `since`, a Date.now()). */
  const filePosts = (since = 0) =>
    emulators().flatMap((e) => e.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/files') && r.at >= since));
  const stored = () => emulators().reduce((n, e) => n + e.files.size, 0);
  const rows = () => s.gateway.gw.em().count(ManagedFile, {});

  /** Chunks, then (once every copy has reached an emulator) the tail: proves the copies were in flight. */
  async function* thenTail(chunks: Buffer[], tail: Buffer, postsBefore: number): AsyncGenerator<Buffer> {
    yield* chunks;
    await until('the copies to start', () => filePosts().length >= postsBefore + COPIES, 10_000, 10);
    yield tail;
  }

  async function expectCutOff(since: number, storedBefore: number, rowsBefore: number): Promise<void> {
    const posts = filePosts(since);
    expect(posts.length).toBeGreaterThanOrEqual(COPIES);
    for (const p of posts) expectChunked(p);
    await sleep(500); // an upstream that had the whole body would have stored it by now
    expect(stored()).toBe(storedBefore);
    expect(await rows()).toBe(rowsBefore);
  }

  function expectChunked(r: RecordedRequest): void {
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.headers['content-length']).toBeUndefined();
  }

  /** A REST multipart upload with the fields before the file, as curl -F or fetch(FormData) in that order send it. */
  async function restUpload(
    fields: [string, string][],
    body: AsyncIterable<Buffer>,
    after: [string, string][] = [],
  ): Promise<{ status: number; json: { id: string; error: { message: string } } }> {
    const boundary = 'streamThroughBoundary';
    const url = new URL(`${s.url}/v1/files`);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        authorization: `Bearer ${MASTER_KEY}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'transfer-encoding': 'chunked',
      },
    });
    const answer = once(req, 'response');
    const part = ([name, value]: [string, string]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    req.write(fields.map(part).join(''));
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`,
    );
    const sending = (async () => {
      for await (const chunk of body) if (!req.write(chunk)) await once(req, 'drain');
      req.end(`\r\n${after.map(part).join('')}--${boundary}--\r\n`);
    })();
    sending.catch(() => undefined); // sluice answers a bad line before the body ends and closes the connection
    req.on('error', () => undefined);
    const [res] = (await answer) as [import('node:http').IncomingMessage];
    let text = '';
    for await (const c of res) text += c;
    return { status: res.statusCode ?? 0, json: JSON.parse(text) };
  }

  it('REST (fields first): a bad line near the end of a 12 MiB file cuts every copy off; no file upstream', async () => {
    const [since, posts, files, rowCount] = [Date.now(), filePosts().length, stored(), await rows()];
    const { chunks, lines } = fileOf(12);
    const res = await restUpload(
      [
        ['purpose', 'batch'],
        ['target_model_names', TARGETS.join(',')],
      ],
      thenTail(chunks, BAD_TAIL(lines), posts),
    );
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain(`line ${lines + 2}`);
    await expectCutOff(since, files, rowCount);
  });

  it('gRPC: a bad line near the end of a 12 MiB file cuts every copy off; no file upstream', async () => {
    const [since, posts, files, rowCount] = [Date.now(), filePosts().length, stored(), await rows()];
    const { chunks, lines } = fileOf(12);
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    try {
      const call = c.files.uploadFile(
        uploadRequests({ filename: 'big.jsonl', purpose: 'batch', targetModelNames: TARGETS }, thenTail(chunks, BAD_TAIL(lines), posts)),
      );
      await expect(call).rejects.toThrow(new RegExp(`line ${lines + 2}`));
    } finally {
      c.close();
    }
    await expectCutOff(since, files, rowCount);
  });

  it('tRPC (framed stream): a bad line near the end cuts every copy off; no file upstream', async () => {
    const [files, rowCount] = [stored(), await rows()];
    const { chunks, lines } = fileOf(12);
    const t = createSluiceClient(s.url, MASTER_KEY);
    // The tRPC client takes a Blob: the whole body is sent at once, so only the outcome is checked here.
    const body = uploadBody(
      { filename: 'big.jsonl', purpose: 'batch', target_model_names: TARGETS },
      new Blob([...chunks, BAD_TAIL(lines)] as Uint8Array<ArrayBuffer>[]),
    );
    await expect(t.files.uploadStream.mutate(body)).rejects.toThrow(new RegExp(`line ${lines + 2}`));
    await sleep(500);
    expect(stored()).toBe(files);
    expect(await rows()).toBe(rowCount);
  });

  it('a file over the line limit is refused the same way, copies cut off', async () => {
    const [since, posts, files, rowCount] = [Date.now(), filePosts().length, stored(), await rows()];
    const { chunks, lines } = fileOf(12);
    const max = s.gateway.gw.config.limits.maxFileLines;
    s.gateway.gw.config.limits.maxFileLines = lines + 2;
    try {
      const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
      const tail = Buffer.from([1, 2, 3, 4].map((i) => line(lines + i)).join(''));
      await expect(
        c.files.uploadFile(
          uploadRequests({ filename: 'big.jsonl', purpose: 'batch', targetModelNames: TARGETS }, thenTail(chunks, tail, posts)),
        ),
      ).rejects.toThrow(/more than/);
      c.close();
    } finally {
      s.gateway.gw.config.limits.maxFileLines = max;
    }
    await expectCutOff(since, files, rowCount);
  });

  it('a valid 12 MiB file streams through over REST and gRPC: chunked copies, each the caller’s lines with its model, exact bytes back', async () => {
    const { chunks } = fileOf(12);
    const original = Buffer.concat(chunks);
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const viaRest = async () => {
      const res = await restUpload(
        [
          ['purpose', 'batch'],
          ['target_model_names', TARGETS.join(',')],
        ],
        (async function* () {
          yield* chunks;
        })(),
      );
      expect(res.status).toBe(200);
      return res.json.id;
    };
    const viaGrpc = async () =>
      (await c.files.uploadFile(uploadRequests({ filename: 'big.jsonl', purpose: 'batch', targetModelNames: TARGETS }, chunks))).id;
    for (const upload of [viaRest, viaGrpc]) {
      const since = Date.now();
      const id = await upload();
      const sent = filePosts(since);
      expect(sent).toHaveLength(COPIES);
      for (const p of sent) expectChunked(p);
      // Each emulator stored exactly the caller's lines with its own deployment's model.
      for (const [emu, model] of [
        [s.east, 'gpt-4o-east'],
        [s.west, 'gpt-4o-west'],
        [s.openai, 'gpt-4o-mini'],
      ] as const) {
        const newest = [...emu.files.values()].at(-1);
        expect(newest?.content.equals(Buffer.from(original.toString().replaceAll('"model":"gpt-4o-batch"', `"model":"${model}"`)))).toBe(
          true,
        );
      }
      const back = Buffer.from(await (await s.client.files.content(id)).arrayBuffer());
      expect(back.equals(original)).toBe(true);
    }
    c.close();
  });

  it('files up to 8 MiB are validated whole first: a bad last line sends nothing upstream', async () => {
    const posts = filePosts().length;
    const { chunks, lines } = fileOf(7);
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    await expect(
      c.files.uploadFile(
        uploadRequests({ filename: 'small.jsonl', purpose: 'batch', targetModelNames: TARGETS }, [...chunks, BAD_TAIL(lines)]),
      ),
    ).rejects.toThrow(/line/);
    c.close();
    expect(filePosts().length).toBe(posts);
  });

  it('REST with the file before the fields (the OpenAI SDK order) takes the whole-file path: copies with a Content-Length', async () => {
    const since = Date.now();
    const { chunks } = fileOf(10);
    const file = await s.client.files.create({ file: new File(chunks as Uint8Array<ArrayBuffer>[], 'sdk.jsonl'), purpose: 'batch' });
    expect(file.bytes).toBe(Buffer.concat(chunks).length);
    const sent = filePosts(since);
    expect(sent).toHaveLength(2); // east and west: the lines name gpt-4o-batch
    for (const p of sent) expect(Number(p.headers['content-length'])).toBeGreaterThan(10 * MB - 100_000);
  });

  it('a field after the file that changes the targets: the streamed copies are cut off and the file is written for the final fields', async () => {
    const [since, files] = [Date.now(), stored()];
    const { chunks } = fileOf(10);
    const res = await restUpload(
      [
        ['purpose', 'batch'],
        ['target_model_names', 'gpt-4o-batch'],
      ],
      (async function* () {
        yield* chunks;
      })(),
      [['target_model_names', 'gpt-4o-mini-batch']],
    );
    expect(res.status).toBe(200);
    // Two streamed copies (east, west) cut off, then three whole ones: only those three are stored.
    expect(filePosts(since)).toHaveLength(2 + COPIES);
    expect(stored() - files).toBe(COPIES);
  });
});
