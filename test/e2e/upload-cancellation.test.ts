import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { File as GrpcFile, FileServiceDefinition, UploadFileRequest } from '../../clients/grpc/gen/sluice/v1/files.js';
import { createSluiceGrpcClient, uploadRequests } from '../../clients/grpc/index.js';
import { createSluiceClient, uploadBody } from '../../clients/trpc/index.js';
import { DATABASES } from '../../dev/databases.js';
import { FileLayoutChunk, ManagedFile } from '../../src/db/entities/index.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { until } from '../support/tracking.js';

/**
 * Cancellation is a rollback until the file row commits, on every transport: whatever the moment the caller
 * goes away, 2 s later there is no file row, no layout, no spool folder and no copy on any emulator.
 *
 * The moments (phases), made deterministic with the emulators and the database, never with a hook in sluice:
 * - before fan-out: the caller leaves while the upload is still coming in or being validated;
 * - during fan-out: every copy is stored upstream, but two of the three answers are held by the emulators
 *   (`holdAnswerMs`), so sluice is still waiting for them when the caller leaves;
 * - just before commit: on PostgreSQL, every copy is answered and the commit is blocked by a lock the test
 *   holds on managed_file, so sluice is inside its commit transaction when the caller leaves. SQLite cannot be
 *   held that way here (its driver is synchronous: a locked database stalls the whole process, test included),
 *   so there all three answers are held and the caller leaves once every copy is stored: sluice learns it
 *   when the last answer arrives, the moment before it would begin the commit.
 * Kinds that stop mid-stream cannot reach fan-out on purpose (there is no end of the file); they are run in
 * every phase all the same, with the phase armed, in case sluice took a cut-short stream for a whole file.
 */
const TARGETS = ['gpt-4o-batch', 'gpt-4o-mini-batch']; // three copies: east, west, openai
const SMALL = Buffer.from(chatJsonl(3));
const COPIES = 3;
const HOLD_MS = 600;
const LATER_MS = 2000;

/** A big file whose 1 MiB gRPC chunks never end on a line boundary (1,000-byte lines). */
function bigFile(mb: number): Buffer {
  const pad = (id: number) => {
    const base = `{"custom_id":"r${id}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-batch","messages":[{"role":"user","content":""}]}}`;
    return base.replace('"content":""', `"content":"${'x'.repeat(999 - base.length)}"`);
  };
  const lines = Math.ceil((mb * 1024 * 1024) / 1000);
  return Buffer.from(Array.from({ length: lines }, (_, i) => pad(i)).join('\n') + '\n');
}

type Phase = 'before fan-out' | 'during fan-out' | 'just before commit';
type Kind =
  | 'gRPC cancel right after the last chunk'
  | 'gRPC deadline'
  | 'gRPC cancel mid-stream'
  | 'REST disconnect after the body'
  | 'REST disconnect mid-body'
  | 'tRPC abort';

interface Cell {
  s: Stack;
  phase: Phase;
  /** Resolves once sluice is in the phase (immediately for 'before fan-out'). */
  inPhase(): Promise<void>;
}

const copiesStored = (s: Stack) => [s.east, s.west, s.openai].reduce((n, e) => n + e.files.size, 0);
const copyRequests = (s: Stack) =>
  [s.east, s.west, s.openai].reduce((n, e) => n + e.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/files')).length, 0);

/** Each kind: upload, leave at the cell's moment; resolves once the client has seen its call fail. */
const KINDS: Record<Kind, (cell: Cell) => Promise<void>> = {
  async 'gRPC cancel right after the last chunk'({ s, phase, inPhase }) {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const abort = new AbortController();
    const content = phase === 'before fan-out' ? bigFile(4) : SMALL;
    async function* requests() {
      yield* uploadRequests({ filename: 'c.jsonl', purpose: 'batch', targetModelNames: TARGETS }, content);
      // The last chunk has been handed to gRPC: in the first phase, cancel at once (sluice has megabytes to go).
      if (phase === 'before fan-out') abort.abort();
    }
    const call = c.files.uploadFile(requests(), { signal: abort.signal });
    if (phase !== 'before fan-out') void inPhase().then(() => abort.abort());
    await expect(call).rejects.toThrow(/abort|cancel/i);
    c.close();
  },

  async 'gRPC deadline'({ s, phase }) {
    const never = new Promise<void>(() => undefined);
    async function* requests() {
      if (phase === 'before fan-out') {
        const all = uploadRequests({ filename: 'd.jsonl', purpose: 'batch', targetModelNames: TARGETS }, SMALL, 200);
        yield (await all.next()).value!; // the metadata
        yield (await all.next()).value!; // and one chunk, then nothing until the deadline
        await never;
      }
      yield* uploadRequests({ filename: 'd.jsonl', purpose: 'batch', targetModelNames: TARGETS }, SMALL);
    }
    // Long enough for a small upload to reach its phase (held copies, or a blocked commit), short of the holds.
    const deadline = new Date(Date.now() + (phase === 'before fan-out' ? 300 : 450));
    await expect(uploadWithDeadline(s.grpcAddress, requests(), deadline)).rejects.toThrow(/deadline/i);
  },

  async 'gRPC cancel mid-stream'({ s }) {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const abort = new AbortController();
    const lines = SMALL.toString().split('\n');
    async function* requests() {
      const all = uploadRequests({ filename: 'm.jsonl', purpose: 'batch', targetModelNames: TARGETS }, '');
      yield (await all.next()).value!;
      // Whole lines only: if sluice took the cut-short stream for the file, it would be a valid one.
      yield { chunk: Buffer.from(`${lines[0]}\n`) };
      await sleep(100);
      abort.abort();
    }
    await expect(c.files.uploadFile(requests(), { signal: abort.signal })).rejects.toThrow(/abort|cancel/i);
    c.close();
  },

  async 'REST disconnect after the body'({ s, phase, inPhase }) {
    // "Before fan-out": the file part is complete but the form is not (its last field is held back), so sluice
    // has validated the file and cannot have started the copies.
    const { req, parts } = restUpload(s);
    req.write(parts.head + parts.file);
    if (phase === 'before fan-out') {
      req.write(parts.fileEnd);
      await sleep(300);
    } else {
      req.end(parts.fileEnd + parts.tail);
      await inPhase();
    }
    req.destroy();
  },

  async 'REST disconnect mid-body'({ s }) {
    const { req, parts } = restUpload(s);
    req.write(parts.head + SMALL.toString().split('\n')[0] + '\n');
    await sleep(200);
    req.destroy();
  },

  async 'tRPC abort'({ s, phase, inPhase }) {
    const t = createSluiceClient(s.url, MASTER_KEY);
    const abort = new AbortController();
    const content = phase === 'before fan-out' ? bigFile(16) : SMALL;
    const call = t.files.uploadStream.mutate(uploadBody({ filename: 't.jsonl', purpose: 'batch', target_model_names: TARGETS }, content), {
      signal: abort.signal,
    });
    if (phase === 'before fan-out') setTimeout(() => abort.abort(), 30);
    else void inPhase().then(() => abort.abort());
    await expect(call).rejects.toThrow(/abort/i);
  },
};

/**
 * UploadFile with a real gRPC deadline (sent as grpc-timeout, so it expires on the server too), through grpc-js
 * itself: the nice-grpc client has no deadline without a middleware.
 */
function uploadWithDeadline(address: string, requests: AsyncIterable<UploadFileRequest>, deadline: Date): Promise<unknown> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${MASTER_KEY}`);
  return new Promise((resolve, reject) => {
    const call = client.makeClientStreamRequest(
      `/${FileServiceDefinition.fullName}/UploadFile`,
      (m: UploadFileRequest) => Buffer.from(UploadFileRequest.encode(m).finish()),
      (b: Buffer) => GrpcFile.decode(b),
      metadata,
      { deadline },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res);
      },
    );
    void (async () => {
      for await (const r of requests) if (!call.write(r)) await once(call, 'drain');
      call.end();
    })().catch(() => call.cancel());
  });
}

/** A raw multipart upload (file part first, as the OpenAI SDK sends it), written by the caller in pieces. */
function restUpload(s: Stack) {
  const boundary = 'sluiceCancelBoundary';
  const url = new URL(`${s.url}/v1/files`);
  const parts = {
    head: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`,
    file: SMALL.toString(),
    fileEnd: `\r\n--${boundary}\r\nContent-Disposition: form-data; name="target_model_names"\r\n\r\n${TARGETS.join(',')}\r\n`,
    tail: `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}--\r\n`,
  };
  const length = Buffer.byteLength(parts.head + parts.file + parts.fileEnd + parts.tail);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: {
      authorization: `Bearer ${MASTER_KEY}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(length),
    },
  });
  req.on('error', () => undefined); // we cut it ourselves
  req.on('response', (res) => res.resume());
  return { req, parts };
}

/** Holds a lock on managed_file (the commit's INSERT waits for it) until the returned function is called. */
async function lockWrites(url: string): Promise<() => Promise<void>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('begin');
  await c.query('lock table managed_file in exclusive mode');
  return async () => {
    await c.query('rollback');
    await c.end();
  };
}

const PHASES: Phase[] = ['before fan-out', 'during fan-out', 'just before commit'];

describe.each(DATABASES)('a cancelled upload leaves nothing behind (%s)', (db) => {
  let s: Stack;
  let tried = 0;

  beforeAll(async () => {
    s = await startStack({ db, limits: { max_batch_file_bytes: 64 * 1024 * 1024, max_batch_file_lines: 100_000 } });
  });
  afterAll(async () => {
    await s?.close();
    console.info(`upload cancellations tried (${db}): ${tried}`);
  });

  const cells = (Object.keys(KINDS) as Kind[]).flatMap((kind) => PHASES.map((phase) => [kind, phase] as const));

  it.each(cells)('%s, %s', async (kind, phase) => {
    for (const e of [s.east, s.west, s.openai]) {
      e.clearFaults();
      e.files.clear();
    }
    const rowsBefore = await s.gateway.gw.em().count(ManagedFile, {});
    const requestsBefore = copyRequests(s);
    let release: (() => Promise<void>) | null = null;
    const lockable = phase === 'just before commit' && db === 'postgresql';
    if (phase === 'during fan-out' || (phase === 'just before commit' && !lockable)) {
      const held = phase === 'during fan-out' ? [s.west, s.openai] : [s.east, s.west, s.openai];
      for (const e of held) e.injectFault({ method: 'POST', path: /\/files$/, holdAnswerMs: HOLD_MS, times: 1 });
    }
    if (lockable) release = await lockWrites(s.db.url);
    const inPhase = async () => {
      await until('every copy to be stored upstream', () => copiesStored(s) === COPIES, 10_000, 10);
      if (lockable) await sleep(200); // from the last answer to the blocked INSERT: microseconds
    };
    try {
      await KINDS[kind]({ s, phase, inPhase });
      if (release) {
        await sleep(300); // sluice sees the cancellation while still blocked in its commit
        await release();
        release = null;
      }
    } finally {
      await release?.();
    }
    tried++;
    await sleep(LATER_MS);

    expect(await s.gateway.gw.em().count(ManagedFile, {})).toBe(rowsBefore);
    expect(await s.gateway.gw.em().count(FileLayoutChunk, {})).toBe(0);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`sluice-spool-${process.pid}-`))).toEqual([]);
    expect({ east: s.east.files.size, west: s.west.files.size, openai: s.openai.files.size }).toEqual({ east: 0, west: 0, openai: 0 });
    if (phase === 'before fan-out' && kind !== 'gRPC cancel mid-stream') expect(copyRequests(s)).toBe(requestsBefore);
  });

  it('aborts a copy still being sent when the caller leaves (never stored), and deletes the ones already written', async () => {
    for (const e of [s.east, s.west, s.openai]) {
      e.clearFaults();
      e.files.clear();
    }
    // The OpenAI emulator reads nothing for 1.5 s: a 24 MB copy cannot all fit in the socket buffers, so sluice
    // is still sending it when the caller leaves. The two Azure copies are stored at once.
    s.openai.injectFault({ method: 'POST', path: /\/files$/, delayMs: 1500, times: 1 });
    const big = bigFile(24);
    const rowsBefore = await s.gateway.gw.em().count(ManagedFile, {});
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const abort = new AbortController();
    const call = c.files.uploadFile(uploadRequests({ filename: 'big.jsonl', purpose: 'batch', targetModelNames: TARGETS }, big), {
      signal: abort.signal,
    });
    await until('both Azure copies to be stored', () => s.east.files.size + s.west.files.size === 2, 60_000, 10);
    abort.abort();
    await expect(call).rejects.toThrow(/abort|cancel/i);
    c.close();
    let openaiStored = 0;
    const watch = setInterval(() => (openaiStored = Math.max(openaiStored, s.openai.files.size)), 5);
    await sleep(LATER_MS);
    clearInterval(watch);
    expect(openaiStored).toBe(0); // aborted mid-body, not waited for and then deleted
    expect({ east: s.east.files.size, west: s.west.files.size, openai: s.openai.files.size }).toEqual({ east: 0, west: 0, openai: 0 });
    expect(await s.gateway.gw.em().count(ManagedFile, {})).toBe(rowsBefore);
  });
});
