/**
 * The whole flow over tRPC: upload a JSONL, create a batch, watch it to the end, print its output, list, cancel
 * a second batch, delete the file. From the repo, against `npm exec -- tsx scripts/serve-emulated.ts`:
 *   npm exec -- tsx clients/trpc/example.ts --url http://127.0.0.1:4000 --key sk-... [--file in.jsonl] [--model gpt-4o-batch]
 * Without --file, a three-line file for --model is made up. README.md shows the same program as a package user.
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createSluiceClient, isSluiceClientError, readText, uploadBody, type Batch } from './index.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:4000' },
    key: { type: 'string' },
    file: { type: 'string' },
    model: { type: 'string', default: 'gpt-4o-batch' },
  },
});
const key = values.key ?? process.env.SLUICE_KEY;
if (!key) throw new Error('--key (or SLUICE_KEY) is required');
const sample = [1, 2, 3]
  .map((i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: values.model, messages: [{ role: 'user', content: `Say hello #${i}` }] },
    }),
  )
  .join('\n');

const sluice = createSluiceClient(values.url, key);

// Upload: a header line with the fields, then the file (a file-backed Blob streams from disk).
const file = await sluice.files.uploadStream.mutate(
  uploadBody(
    {
      filename: values.file ? basename(values.file) : 'example.jsonl',
      purpose: 'batch',
      target_model_names: values.file ? [] : [values.model],
    },
    values.file ? await openAsBlob(values.file) : sample,
  ),
);
console.log(`uploaded ${file.id} (${file.bytes} bytes)`);

const batch = await sluice.batches.create.mutate({
  input_file_id: file.id,
  endpoint: '/v1/chat/completions',
  completion_window: '24h',
  metadata: { example: 'trpc' },
});
console.log(`created ${batch.id}: ${batch.status}`);

// Watch (Server-Sent Events): the batch now, then at each status change; it completes when the batch is terminal.
const done = await new Promise<Batch>((resolve, reject) => {
  let last = batch;
  sluice.batches.watch.subscribe(
    { batch_id: batch.id, poll_interval_ms: 500 },
    {
      onData: (update) => {
        console.log(`  ${update.status} (${update.request_counts.completed}/${update.request_counts.total})`);
        last = update;
      },
      onError: reject,
      onComplete: () => resolve(last),
    },
  );
});
if (done.output_file_id) process.stdout.write(await readText(await sluice.files.download.query({ file_id: done.output_file_id })));
else console.log(`no output (${done.status})`);

const page = await sluice.batches.list.query({ limit: 5 });
console.log(`latest batches: ${page.data.map((b) => `${b.id} ${b.status}`).join(', ')}${page.has_more ? ', …' : ''}`);

const second = await sluice.batches.create.mutate({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
console.log(`cancelled ${second.id}: ${(await sluice.batches.cancel.mutate({ batch_id: second.id })).status}`);

const deleted = await sluice.files.delete.mutate({ file_id: file.id });
console.log(`deleted ${deleted.id}: ${deleted.deleted}`);
try {
  await sluice.files.retrieve.query({ file_id: file.id });
} catch (err) {
  if (!isSluiceClientError(err) || err.data?.code !== 'NOT_FOUND') throw err;
  console.log(`then files.retrieve: ${err.data.httpStatus} ${err.data.openai?.type} (${err.message})`);
}
