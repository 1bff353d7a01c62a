import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, uploadRequests } from '../../clients/grpc/index.js';
import { createSluiceClient, uploadBody } from '../../clients/trpc/index.js';
import { DATABASES } from '../../dev/databases.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { failureOf, TRANSPORTS, type BatchShape, type FileShape, type TransportClient, type TransportName } from '../support/transports.js';

const NAMES = Object.keys(TRANSPORTS) as TransportName[];

/** Fields that differ between two runs of the same scenario (IDs, clocks), blanked for comparison. */
function stable(o: Record<string, unknown>, idFields: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o))
    out[k] = k === 'id' || idFields.includes(k) || k.endsWith('_at') ? (v === null ? null : '<set>') : v;
  return out;
}

interface ScenarioResult {
  file: FileShape;
  created: BatchShape;
  updates: BatchShape[];
  outputLines: { custom_id: string; status: number }[];
  listedFile: boolean;
  listedBatch: boolean;
  cancelled: BatchShape;
  deleted: { id: string; deleted: boolean };
  goneAfterDelete: string | number;
}

/**
 * The same developer flow through REST (openai SDK), gRPC (clients/grpc) and tRPC (clients/trpc), against one
 * server, on each database: every transport is the one router, so the answers must be the same.
 */
describe.each(DATABASES)('one router, three transports (%s)', (db) => {
  let s: Stack;
  const clients = {} as Record<TransportName, TransportClient>;
  const results = {} as Record<TransportName, ScenarioResult>;

  beforeAll(async () => {
    s = await startStack({ db });
    for (const name of NAMES) clients[name] = TRANSPORTS[name](s, MASTER_KEY);
  });
  afterAll(async () => {
    for (const c of Object.values(clients)) c.close();
    await s?.close();
  });

  it.each(NAMES)('runs upload → create → watch → content → list → cancel → delete over %s', async (name) => {
    const c = clients[name];
    const file = await c.upload(chatJsonl(3, 'gpt-4o-batch', name), `${name}.jsonl`, ['gpt-4o-batch']);
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: `${name}.jsonl`,
      bytes: Buffer.byteLength(chatJsonl(3, 'gpt-4o-batch', name)),
    });
    expect(await c.retrieveFile(file.id)).toEqual(file);

    const created = await c.createBatch(file.id, { via: 'parity' });
    expect(created).toMatchObject({ object: 'batch', input_file_id: file.id, metadata: { via: 'parity' }, model: 'gpt-4o-batch' });
    const updates = await c.untilTerminal(created.id);
    const done = updates.at(-1)!;
    expect(done.status).toBe('completed');
    const statuses = updates.map((u) => u.status);
    expect(new Set(statuses).size, `each update is a status change: ${statuses}`).toBe(statuses.length);
    expect(done).toEqual(await c.retrieveBatch(created.id));

    const text = await c.content(done.output_file_id as string);
    const outputLines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((l) => ({ custom_id: String(l.custom_id).replace(`${name}-`, 'x-'), status: l.response.status_code as number }))
      .sort((a, b) => a.custom_id.localeCompare(b.custom_id));

    const listedFile = (await c.listFileIds()).includes(file.id);
    const listedBatch = (await c.listBatchIds()).includes(created.id);

    const second = await c.createBatch(file.id);
    const cancelled = await c.cancelBatch(second.id);

    const deleted = await c.deleteFile(file.id);
    const goneAfterDelete = (await failureOf(c.retrieveFile(file.id))).code;
    results[name] = { file, created, updates, outputLines, listedFile, listedBatch, cancelled, deleted, goneAfterDelete };

    expect(listedFile && listedBatch).toBe(true);
    expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    expect(deleted).toEqual({ id: file.id, deleted: true });
  });

  it('gives the same answers over every transport', () => {
    expect(Object.keys(results).sort()).toEqual([...NAMES].sort());
    const view = (r: ScenarioResult) => ({
      file: stable({ ...r.file, filename: 'x.jsonl' }),
      created: stable(r.created, ['input_file_id']),
      done: stable(r.updates.at(-1)!, ['input_file_id', 'output_file_id', 'error_file_id']),
      outputLines: r.outputLines,
      listed: [r.listedFile, r.listedBatch],
      cancelled: stable(r.cancelled, ['input_file_id']),
      deleted: r.deleted.deleted,
    });
    const rest = view(results.rest);
    expect(view(results.grpc)).toEqual(rest);
    expect(view(results.trpc)).toEqual(rest);
    // Not-found after delete, each in its own words.
    expect([results.rest.goneAfterDelete, results.grpc.goneAfterDelete, results.trpc.goneAfterDelete]).toEqual([
      404,
      'NOT_FOUND',
      'NOT_FOUND',
    ]);
  });

  it('shows an object created through one transport identically through the others', async () => {
    for (const maker of NAMES) {
      const file = await clients[maker].upload(chatJsonl(2, 'gpt-4o-batch', `from-${maker}`), 'shared.jsonl', ['gpt-4o-batch']);
      const batch = await clients[maker].createBatch(file.id, { made_by: maker });
      for (const reader of NAMES) {
        expect(await clients[reader].retrieveFile(file.id), `${maker} → ${reader}`).toEqual(file);
        const seen = await clients[reader].retrieveBatch(batch.id);
        expect(stable(seen), `${maker} → ${reader}`).toEqual(stable(await clients.rest.retrieveBatch(batch.id)));
        expect(seen.metadata).toEqual({ made_by: maker });
        expect(await clients[reader].listBatchIds()).toContain(batch.id);
      }
    }
  });

  it('maps a bad JSONL line to INVALID_ARGUMENT / BAD_REQUEST / 400 naming the line, and writes nothing upstream', async () => {
    const bad = chatJsonl(1) + '{not json\n' + chatJsonl(1, 'gpt-4o-batch', 'later');
    const postsBefore = [s.east, s.west, s.openai].map(
      (e) => e.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/files')).length,
    );
    const got = {} as Record<TransportName, { code: string | number; message: string }>;
    for (const name of NAMES) got[name] = await failureOf(clients[name].upload(bad, 'bad.jsonl', ['gpt-4o-batch']));
    expect(got.rest.code).toBe(400);
    expect(got.grpc.code).toBe('INVALID_ARGUMENT');
    expect(got.trpc.code).toBe('BAD_REQUEST');
    for (const name of NAMES) expect(got[name].message, name).toMatch(/line 2\b/);
    expect(got.grpc.message).toBe(got.trpc.message);
    const postsAfter = [s.east, s.west, s.openai].map(
      (e) => e.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/files')).length,
    );
    expect(postsAfter).toEqual(postsBefore);
  });

  it('maps an unknown ID to NOT_FOUND everywhere (files, batches, watch)', async () => {
    for (const name of NAMES) {
      const c = clients[name];
      const file = await failureOf(c.retrieveFile('file-doesnotexist000000000000'));
      const batch = await failureOf(c.retrieveBatch('batch_doesnotexist'));
      const expected = name === 'rest' ? 404 : 'NOT_FOUND';
      expect([file.code, batch.code], name).toEqual([expected, expected]);
      if (name !== 'rest') expect((await failureOf(c.untilTerminal('batch_doesnotexist'))).code, `${name} watch`).toBe('NOT_FOUND');
    }
  });

  it("says OpenAI's error type and the same code on every transport (REST body, tRPC data.openai, gRPC trailers)", async () => {
    const grpc = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    const trpc = createSluiceClient(s.url, MASTER_KEY);
    try {
      const cases = [
        {
          rest: () => fetch(`${s.url}/v1/batches/batch_doesnotexist`, { headers: { authorization: `Bearer ${MASTER_KEY}` } }),
          grpc: (o: object) => grpc.batches.getBatch({ batchId: 'batch_doesnotexist' }, o),
          trpc: () => trpc.batches.retrieve.query({ batch_id: 'batch_doesnotexist' }),
        },
        {
          rest: () =>
            fetch(`${s.url}/v1/batches`, {
              method: 'POST',
              headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                input_file_id: 'file-doesnotexist000000000000',
                endpoint: '/v1/chat/completions',
                completion_window: '1h',
              }),
            }),
          grpc: (o: object) =>
            grpc.batches.createBatch(
              { inputFileId: 'file-doesnotexist000000000000', endpoint: '/v1/chat/completions', completionWindow: '1h', metadata: {} },
              o,
            ),
          trpc: () =>
            trpc.batches.create.mutate({
              input_file_id: 'file-doesnotexist000000000000',
              endpoint: '/v1/chat/completions',
              completion_window: '1h' as '24h',
            }),
        },
      ];
      for (const c of cases) {
        const rest = ((await (await c.rest()).json()) as { error: { type: string; code: string | null } }).error;
        let trailer: { get(name: string): string | undefined } | undefined;
        await c.grpc({ onTrailer: (t: typeof trailer) => (trailer = t) }).catch(() => undefined);
        const viaTrpc = await c.trpc().catch((e: { data: { openai: { type: string; code: string | null } } }) => e);
        expect(['invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_error', 'server_error']).toContain(
          rest.type,
        );
        expect({ type: trailer?.get('sluice-error-type'), code: trailer?.get('sluice-error-code') ?? null }).toEqual({
          type: rest.type,
          code: rest.code,
        });
        expect((viaTrpc as { data: { openai: object } }).data.openai).toMatchObject({ type: rest.type, code: rest.code });
      }
    } finally {
      grpc.close();
    }
  });

  it('maps a missing or wrong key to UNAUTHENTICATED / UNAUTHORIZED / 401', async () => {
    for (const key of ['', 'sk-wrong']) {
      const anon = Object.fromEntries(NAMES.filter((n) => n !== 'rest').map((n) => [n, TRANSPORTS[n](s, key)])) as Record<
        TransportName,
        TransportClient
      >;
      try {
        // The OpenAI SDK refuses to send no key at all: plain HTTP for REST.
        const rest = await fetch(`${s.url}/v1/files`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
        const codes = [
          rest.status,
          ...(await Promise.all(['grpc', 'trpc'].map(async (n) => (await failureOf(anon[n as TransportName].listFileIds())).code))),
        ];
        expect(codes, `key '${key}'`).toEqual([401, 'UNAUTHENTICATED', 'UNAUTHORIZED']);
        expect((await failureOf(anon.grpc.untilTerminal('batch_x'))).code).toBe('UNAUTHENTICATED');
      } finally {
        for (const c of Object.values(anon)) c.close();
      }
    }
  });

  it('rejects an upload chunk over 1 MiB with INVALID_ARGUMENT, and metadata that is not first', async () => {
    const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    try {
      async function* bigChunk() {
        yield { metadata: { filename: 'big.jsonl', purpose: 'batch', targetModelNames: ['gpt-4o-batch'] } };
        yield { chunk: Buffer.alloc(1024 * 1024 + 1, 0x20) };
      }
      const big = await failureOf(c.files.uploadFile(bigChunk()));
      expect(big).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(big.message).toMatch(/1 MiB/);
      async function* noMetadata() {
        yield { chunk: Buffer.from(chatJsonl(1)) };
      }
      expect((await failureOf(c.files.uploadFile(noMetadata()))).code).toBe('INVALID_ARGUMENT');
      // The same field checks as REST: purpose, expiry.
      const badExpiry = await failureOf(
        c.files.uploadFile(
          uploadRequests({ filename: 'a.jsonl', purpose: 'batch', expiresAfter: { anchor: 'created_at', seconds: 5 } }, chatJsonl(1)),
        ),
      );
      expect(badExpiry.code).toBe('INVALID_ARGUMENT');
      expect(badExpiry.message).toMatch(/expires_after/);
    } finally {
      c.close();
    }
  });

  it('accepts a FormData upload over tRPC and validates its fields like the rest', async () => {
    const t = createSluiceClient(s.url, MASTER_KEY);
    const form = new FormData();
    form.set('purpose', 'batch');
    form.append('target_model_names', 'gpt-4o-batch');
    form.set('file', new Blob([chatJsonl(2)]), 'form.jsonl');
    const file = await t.files.uploadForm.mutate(form);
    expect(file).toMatchObject({ object: 'file', filename: 'form.jsonl', bytes: Buffer.byteLength(chatJsonl(2)) });
    expect(await clients.rest.retrieveFile(file.id)).toEqual(file);

    const noPurpose = new FormData();
    noPurpose.set('file', new Blob([chatJsonl(1)]), 'x.jsonl');
    expect((await failureOf(t.files.uploadForm.mutate(noPurpose))).code).toBe('BAD_REQUEST');
    expect((await failureOf(t.files.uploadStream.mutate(uploadBody({ purpose: 'fine-tune' }, chatJsonl(1))))).code).toBe('BAD_REQUEST');
  });
});
