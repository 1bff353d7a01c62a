/**
 * Upload a JSONL, create a batch, watch it to the end and print its output, over tRPC.
 *   npm exec -- tsx clients/trpc/example.ts --url http://127.0.0.1:4000 --key sk-... [--file in.jsonl] [--model gpt-4o-batch]
 * Without --file, a three-line file for --model is made up.
 */
import { openAsBlob } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSluiceClient, readText, uploadBody } from './index.js';

const { values } = parseArgs({
  options: { url: { type: 'string', default: 'http://127.0.0.1:4000' }, key: { type: 'string' }, file: { type: 'string' }, model: { type: 'string', default: 'gpt-4o-batch' } },
});
const key = values.key ?? process.env.SLUICE_KEY;
if (!key) throw new Error('--key (or SLUICE_KEY) is required');
const model = values.model!;
const sample = [1, 2, 3]
  .map((i) => JSON.stringify({ custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `Say hello #${i}` }] } }))
  .join('\n');

const sluice = createSluiceClient(values.url!, key);
const file = await sluice.files.uploadStream.mutate(
  uploadBody(
    { filename: values.file ? values.file.split('/').at(-1)! : 'example.jsonl', purpose: 'batch', target_model_names: values.file ? [] : [model] },
    values.file ? await openAsBlob(values.file) : sample,
  ),
);
console.log(`uploaded ${file.id} (${file.bytes} bytes)`);
const batch = await sluice.batches.create.mutate({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { example: 'trpc' } });
console.log(`created ${batch.id}: ${batch.status}`);
const done = await new Promise<typeof batch>((resolve, reject) => {
  let last = batch;
  sluice.batches.watch.subscribe(
    { batch_id: batch.id },
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
