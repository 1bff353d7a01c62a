import { once } from 'node:events';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, uploadRequests } from '../../clients/grpc/index.js';
import { createSluiceClient, uploadBody } from '../../clients/trpc/index.js';
import { ManagedFile } from '../../src/db/entities/index.js';
import type { ProviderEmulator } from '../../dev/emulators/index.js';
import { DATABASES } from '../../dev/databases.js';
import { generatedJsonl } from '../../dev/generated-jsonl.js';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';

const MB = 1024 * 1024;
const filePosts = (emus: ProviderEmulator[]) =>
  emus.reduce((n, e) => n + e.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/files')).length, 0);
const filesStored = (emus: ProviderEmulator[]) => emus.reduce((n, e) => n + e.files.size, 0);

/**
 * A client that stops mid-stream leaves nothing: no file row, no replica, no file upstream. An upload that
 * names its target groups before the content streams through past 8 MiB (domain/files/stream-through.ts): its
 * copies have started, and are cut off mid-body, so there the emulators see requests but store nothing.
 */
describe.each(DATABASES)('uploads cancelled mid-stream (%s)', (dbKind) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ db: dbKind, limits: { max_batch_file_bytes: 400 * MB, max_batch_file_lines: 2_000_000 } });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** `storedBefore`: for a stream-through, whose cut-off copies did reach the emulators, the files they held. */
  async function expectNothingKept(postsBefore: number, rowsBefore: number, storedBefore?: number) {
    await new Promise((r) => setTimeout(r, 300)); // let the server notice and unwind
    const emus = [s.east, s.west, s.openai];
    if (storedBefore !== undefined) expect(filesStored(emus)).toBe(storedBefore);
    else expect(filePosts(emus)).toBe(postsBefore);
    expect(await s.gateway.gw.em().count(ManagedFile, {})).toBe(rowsBefore);
  }

  it('over gRPC: cancelling the call after some chunks', async () => {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    const stored = filesStored([s.east, s.west, s.openai]);
    const abort = new AbortController();
    let sent = 0;
    async function* stopsHalfway() {
      for await (const req of uploadRequests(
        { filename: 'half.jsonl', purpose: 'batch', targetModelNames: ['gpt-4o-batch'] },
        generatedJsonl({ bytes: 100 * MB, model: 'gpt-4o-batch' }),
      )) {
        yield req;
        if ((sent += req.chunk?.length ?? 0) > 20 * MB) {
          abort.abort();
          return;
        }
      }
    }
    await expect(c.files.uploadFile(stopsHalfway(), { signal: abort.signal })).rejects.toThrow(/abort/i);
    c.close();
    await expectNothingKept(posts, rows, stored);
  });

  it('over gRPC: a request stream that fails mid-way', async () => {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    async function* breaks() {
      let n = 0;
      for await (const req of uploadRequests(
        { filename: 'broken.jsonl', purpose: 'batch' },
        generatedJsonl({ bytes: 50 * MB, model: 'gpt-4o-batch' }),
      )) {
        yield req;
        if (++n === 10) throw new Error('disk read failed');
      }
    }
    await expect(c.files.uploadFile(breaks())).rejects.toThrow();
    c.close();
    await expectNothingKept(posts, rows);
  });

  it('over tRPC: aborting the request mid-body', async () => {
    const t = createSluiceClient(s.url, MASTER_KEY);
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    const parts: Buffer[] = [];
    for await (const chunk of generatedJsonl({ bytes: 120 * MB, model: 'gpt-4o-batch', lineBytes: 4096 })) parts.push(chunk);
    const abort = new AbortController();
    const upload = t.files.uploadStream.mutate(
      uploadBody({ filename: 'aborted.jsonl', purpose: 'batch' }, new Blob(parts as Uint8Array<ArrayBuffer>[])),
      { signal: abort.signal },
    );
    setTimeout(() => abort.abort(), 150);
    await expect(upload).rejects.toThrow(/abort/i);
    await expectNothingKept(posts, rows);
  });

  it('over REST: a multipart upload whose connection drops mid-file', async () => {
    const [posts, rows] = [filePosts([s.east, s.west, s.openai]), await s.gateway.gw.em().count(ManagedFile, {})];
    const boundary = 'sluiceTestBoundary';
    const url = new URL(`${s.url}/v1/files`);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        authorization: `Bearer ${MASTER_KEY}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(200 * MB),
      },
    });
    req.on('error', () => undefined); // we cut it ourselves
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`,
    );
    let sent = 0;
    for await (const chunk of generatedJsonl({ bytes: 100 * MB, model: 'gpt-4o-batch' })) {
      if (!req.write(chunk)) await once(req, 'drain');
      if ((sent += chunk.length) > 20 * MB) break;
    }
    req.destroy(); // the client goes away with 180 MB still to send
    await expectNothingKept(posts, rows);
  });
});
