/**
 * The whole flow over gRPC: upload a JSONL, create a batch, watch it to the end, print its output, list, cancel
 * a second batch, delete the file. From the repo, against `npm exec -- tsx scripts/serve-emulated.ts`:
 *   npm exec -- tsx clients/grpc/example.ts --url 127.0.0.1:50051 --key sk-... [--file in.jsonl] [--model gpt-4o-batch]
 * Without --file, a three-line file for --model is made up. README.md shows the same program as a package user.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientError, createSluiceGrpcClient, readFileContent, Status, uploadRequests, type Batch } from './index.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: '127.0.0.1:50051' },
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

const sluice = createSluiceGrpcClient(values.url, key);
try {
  // Upload: the metadata message, then the content in chunks (a file streams from disk as gRPC sends it).
  const file = await sluice.files.uploadFile(
    uploadRequests(
      {
        filename: values.file ? basename(values.file) : 'example.jsonl',
        purpose: 'batch',
        targetModelNames: values.file ? [] : [values.model],
      },
      values.file ? createReadStream(values.file) : sample,
    ),
  );
  console.log(`uploaded ${file.id} (${file.bytes} bytes)`);

  const batch = await sluice.batches.createBatch({
    inputFileId: file.id,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    metadata: { example: 'grpc' },
  });
  console.log(`created ${batch.id}: ${batch.status}`);

  // Watch: the batch now, then at each status change; the stream ends when the batch is terminal.
  let done: Batch = batch;
  for await (const update of sluice.batches.watchBatch({ batchId: batch.id, pollIntervalMs: 500 })) {
    console.log(`  ${update.status} (${update.requestCounts?.completed}/${update.requestCounts?.total})`);
    done = update;
  }
  // Unset optional fields are undefined: outputFileId only once the batch has output.
  if (done.outputFileId)
    process.stdout.write((await readFileContent(sluice.files.downloadFileContent({ fileId: done.outputFileId }))).toString('utf8'));
  else console.log(`no output (${done.status})`);

  const page = await sluice.batches.listBatches({ limit: 5 });
  console.log(`latest batches: ${page.data.map((b) => `${b.id} ${b.status}`).join(', ')}${page.hasMore ? ', …' : ''}`);

  const second = await sluice.batches.createBatch({
    inputFileId: file.id,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    metadata: {},
  });
  console.log(`cancelled ${second.id}: ${(await sluice.batches.cancelBatch({ batchId: second.id })).status}`);

  const deleted = await sluice.files.deleteFile({ fileId: file.id });
  console.log(`deleted ${deleted.id}: ${deleted.deleted}`);
  try {
    await sluice.files.getFile({ fileId: file.id });
  } catch (err) {
    if (!(err instanceof ClientError) || err.code !== Status.NOT_FOUND) throw err;
    console.log(`then GetFile: ${Status[err.code]} (${err.details})`);
  }
} finally {
  sluice.close();
}
