/**
 * Upload a JSONL, create a batch, watch it to the end and print its output, over gRPC.
 *   npm exec -- tsx clients/grpc/example.ts --url 127.0.0.1:50051 --key sk-... [--file in.jsonl] [--model gpt-4o-batch]
 * Without --file, a three-line file for --model is made up.
 */
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSluiceGrpcClient, readFileContent, uploadRequests } from './index.js';

const { values } = parseArgs({
  options: { url: { type: 'string', default: '127.0.0.1:50051' }, key: { type: 'string' }, file: { type: 'string' }, model: { type: 'string', default: 'gpt-4o-batch' } },
});
const key = values.key ?? process.env.SLUICE_KEY;
if (!key) throw new Error('--key (or SLUICE_KEY) is required');
const model = values.model!;
const sample = [1, 2, 3]
  .map((i) => JSON.stringify({ custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `Say hello #${i}` }] } }))
  .join('\n');

const sluice = createSluiceGrpcClient(values.url!, key);
try {
  const file = await sluice.files.uploadFile(
    uploadRequests(
      { filename: values.file ? values.file.split('/').at(-1)! : 'example.jsonl', purpose: 'batch', targetModelNames: values.file ? [] : [model] },
      values.file ? createReadStream(values.file) : sample,
    ),
  );
  console.log(`uploaded ${file.id} (${file.bytes} bytes)`);
  const batch = await sluice.batches.createBatch({ inputFileId: file.id, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: { example: 'grpc' } });
  console.log(`created ${batch.id}: ${batch.status}`);
  let last = batch;
  for await (const update of sluice.batches.watchBatch({ batchId: batch.id })) {
    console.log(`  ${update.status} (${update.requestCounts?.completed}/${update.requestCounts?.total})`);
    last = update;
  }
  if (last.outputFileId) process.stdout.write((await readFileContent(sluice.files.downloadFileContent({ fileId: last.outputFileId }))).toString('utf8'));
  else console.log(`no output (${last.status})`);
} finally {
  sluice.close();
}
