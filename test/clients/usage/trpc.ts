/**
 * A project of its own using @sluice/trpc-client as installed from its tarball (test/clients/packages.test.ts
 * copies this file there, typechecks it and runs it): node usage.ts <gateway url> <key>. Prints one JSON line.
 */
import {
  createSluiceClient,
  isSluiceClientError,
  readText,
  TRPCClientError,
  uploadBody,
  type Batch,
  type FileObject,
  type RouterInputs,
} from '@sluice/trpc-client';

const [url, key] = process.argv.slice(2);
const sluice = createSluiceClient(url, key);
const lines = [1, 2, 3].map((i) =>
  JSON.stringify({
    custom_id: `pkg-${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-batch', messages: [{ role: 'user', content: `hello ${i}` }] },
  }),
);

const file: FileObject = await sluice.files.uploadStream.mutate(
  uploadBody({ filename: 'usage.jsonl', purpose: 'batch', target_model_names: ['gpt-4o-batch'] }, lines.join('\n')),
);
const request: RouterInputs['batches']['create'] = {
  input_file_id: file.id,
  endpoint: '/v1/chat/completions',
  completion_window: '24h',
  metadata: { from: 'package' },
};
const created: Batch = await sluice.batches.create.mutate(request);
const retrieved = await sluice.batches.retrieve.query({ batch_id: created.id });
const updates: string[] = [];
const done = await new Promise<Batch>((resolve, reject) => {
  let last = created;
  sluice.batches.watch.subscribe(
    { batch_id: created.id, poll_interval_ms: 100 },
    {
      onData: (b) => {
        updates.push(b.status);
        last = b;
      },
      onError: reject,
      onComplete: () => resolve(last),
    },
  );
});
const output = done.output_file_id ? await readText(await sluice.files.download.query({ file_id: done.output_file_id })) : '';
const batches = await sluice.batches.list.query({ limit: 100 });
const files = await sluice.files.list.query({});
const second = await sluice.batches.create.mutate({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
const cancelled = await sluice.batches.cancel.mutate({ batch_id: second.id });
const keyed = {
  input_file_id: file.id,
  endpoint: '/v1/chat/completions',
  completion_window: '24h',
  idempotency_key: `usage-${file.id}`,
} as const;
const once = await sluice.batches.create.mutate(keyed);
const again = await sluice.batches.create.mutate(keyed);
const deleted = await sluice.files.delete.mutate({ file_id: file.id });

let missing: unknown;
try {
  await sluice.files.retrieve.query({ file_id: file.id });
} catch (err) {
  missing = err;
}
if (!isSluiceClientError(missing) || !(missing instanceof TRPCClientError))
  throw new Error(`expected a TRPCClientError, got ${String(missing)}`);

console.log(
  JSON.stringify({
    file,
    created,
    retrieved,
    updates,
    done,
    outputIds: output
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)
      .sort(),
    listedBatch: batches.data.some((b) => b.id === created.id),
    listedFile: files.data.some((f) => f.id === file.id),
    cancelled: cancelled.status,
    idempotent: once.id === again.id,
    deleted,
    missing: { code: missing.data?.code, httpStatus: missing.data?.httpStatus, openai: missing.data?.openai, message: missing.message },
  }),
);

/** Never called: the types are the router's, so each of these must fail to compile (tsc checks the expectations). */
export function typeErrors(): void {
  // @ts-expect-error: no such procedure
  void sluice.batches.remove;
  // @ts-expect-error: input_file_id is a string
  void sluice.batches.create.mutate({ input_file_id: 1, endpoint: '/v1/chat/completions', completion_window: '24h' });
  // @ts-expect-error: the watch's poll interval is a number
  sluice.batches.watch.subscribe({ batch_id: 'batch_x', poll_interval_ms: 'fast' }, {});
  // @ts-expect-error: a batch's request_counts is an object
  const total: number = created.request_counts;
  // @ts-expect-error: the in-process upload (a stream and a callback) is not on tRPC's wire
  void sluice.files.upload;
  void total;
}
