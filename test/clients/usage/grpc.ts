/**
 * A project of its own using @sluice/grpc-client as installed from its tarball (test/clients/packages.test.ts
 * copies this file there, typechecks it and runs it): node usage.ts <host:port> <key>. Prints one JSON line.
 */
import {
  ClientError,
  createSluiceGrpcClient,
  readFileContent,
  sluiceErrorFields,
  Status,
  TERMINAL_BATCH_STATUSES,
  uploadRequests,
  Metadata,
  type Batch,
} from '@sluice/grpc-client';

const [address, key] = process.argv.slice(2);
const sluice = createSluiceGrpcClient(address, key);
const lines = [1, 2, 3].map((i) =>
  JSON.stringify({
    custom_id: `pkg-${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-batch', messages: [{ role: 'user', content: `hello ${i}` }] },
  }),
);
/** How an optional field arrives: the README promises `undefined` for unset ones, never null. */
const presence = (v: unknown) => (v === undefined ? 'undefined' : v === null ? 'null' : 'set');

try {
  const file = await sluice.files.uploadFile(
    uploadRequests({ filename: 'usage.jsonl', purpose: 'batch', targetModelNames: ['gpt-4o-batch'] }, lines.join('\n')),
  );
  const created = await sluice.batches.createBatch({
    inputFileId: file.id,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    metadata: {},
  });
  const retrieved = await sluice.batches.getBatch({ batchId: created.id });
  const updates: string[] = [];
  let done: Batch = created;
  for await (const b of sluice.batches.watchBatch({ batchId: created.id, pollIntervalMs: 100 })) {
    updates.push(b.status);
    done = b;
  }
  const output = done.outputFileId
    ? (await readFileContent(sluice.files.downloadFileContent({ fileId: done.outputFileId }))).toString('utf8')
    : '';
  const batches = await sluice.batches.listBatches({ limit: 100 });
  const files = await sluice.files.listFiles({});
  const second = await sluice.batches.createBatch({
    inputFileId: file.id,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    metadata: { from: 'package' },
  });
  const cancelled = await sluice.batches.cancelBatch({ batchId: second.id });
  // A call's own metadata keeps the client's key: a retried create with the same idempotency key is the same batch.
  const keyed = { metadata: Metadata({ 'idempotency-key': `usage-${file.id}` }) };
  const once = await sluice.batches.createBatch(
    { inputFileId: file.id, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: {} },
    keyed,
  );
  const again = await sluice.batches.createBatch(
    { inputFileId: file.id, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: {} },
    keyed,
  );
  const deleted = await sluice.files.deleteFile({ fileId: file.id });

  let trailer: Metadata | undefined;
  let missing: unknown;
  try {
    await sluice.files.getFile({ fileId: file.id }, { onTrailer: (t) => (trailer = t) });
  } catch (err) {
    missing = err;
  }
  if (!(missing instanceof ClientError)) throw new Error(`expected a ClientError, got ${String(missing)}`);

  console.log(
    JSON.stringify({
      file: {
        id: file.id,
        bytes: file.bytes,
        filename: file.filename,
        expiresAt: presence(file.expiresAt),
        statusDetails: presence(file.statusDetails),
      },
      created: {
        id: created.id,
        status: created.status,
        outputFileId: presence(created.outputFileId),
        completedAt: presence(created.completedAt),
        metadata: created.metadata,
      },
      retrieved: { id: retrieved.id, inputFileId: retrieved.inputFileId },
      updates,
      done: {
        status: done.status,
        terminal: TERMINAL_BATCH_STATUSES.has(done.status),
        total: done.requestCounts?.total,
        completed: done.requestCounts?.completed,
      },
      outputIds: output
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)
        .sort(),
      listedBatch: batches.data.some((b) => b.id === created.id),
      listedFile: files.data.some((f) => f.id === file.id),
      cancelled: { status: cancelled.status, metadata: cancelled.metadata },
      idempotent: once.id === again.id,
      deleted: { id: deleted.id, deleted: deleted.deleted },
      missing: { code: Status[missing.code], details: missing.details, fields: sluiceErrorFields(trailer) },
    }),
  );
} finally {
  sluice.close();
}

/** Never called: the stubs are typed by the proto, so each of these must fail to compile. */
export function typeErrors(): void {
  // @ts-expect-error: no such RPC
  void sluice.batches.deleteBatch;
  // @ts-expect-error: batchId is a string
  void sluice.batches.getBatch({ batchId: 1 });
  // @ts-expect-error: pollIntervalMs is a number
  void sluice.batches.watchBatch({ batchId: 'batch_x', pollIntervalMs: 'fast' });
  // @ts-expect-error: Status is nice-grpc's enum
  const code: Status = 'NOT_FOUND';
  void code;
}
