import { createReadStream, createWriteStream, openAsBlob } from 'node:fs';
import { once } from 'node:events';
import { uploadRequests, MAX_CHUNK_BYTES, type SluiceGrpcClient } from '../clients/grpc/index.js';
import { generatedJsonl } from '../dev/generated-jsonl.js';
import { MODEL_GROUP } from './sluice-process.js';

/**
 * Line length for the bench's files: 50,000 of these lines are just under 200 MiB, sluice's default limits
 * (max_batch_file_bytes 209,715,200 and max_batch_file_lines 50,000), like a full real batch file.
 */
const LINE_BYTES = 4224;

/** Writes a generated batch input of `lines` requests of ~4 KB each for the bench's model group; returns its size. */
export async function writeBatchInput(path: string, lines: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  for await (const chunk of generatedJsonl({ bytes: Number.MAX_SAFE_INTEGER, lines, lineBytes: LINE_BYTES, model: MODEL_GROUP })) {
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

/**
 * A multipart upload of a file on disk, as a REST client makes it (fetch + FormData; the file-backed Blob is
 * streamed from disk with a known Content-Length). Answers the response's JSON.
 */
export async function multipartUpload(
  url: string,
  headers: Record<string, string>,
  fields: Record<string, string>,
  path: string,
): Promise<unknown> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', await openAsBlob(path), 'input.jsonl');
  const res = await fetch(url, { method: 'POST', headers, body: form });
  const text = await res.text();
  if (!res.ok) throw new Error(`upload to ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** The same file through sluice's gRPC FileService.UploadFile (the generated stubs in clients/grpc), in 1 MiB chunks. */
export async function grpcUpload(client: SluiceGrpcClient, path: string): Promise<void> {
  await client.files.uploadFile(
    uploadRequests(
      { filename: 'input.jsonl', purpose: 'batch', targetModelNames: [MODEL_GROUP] },
      createReadStream(path, { highWaterMark: MAX_CHUNK_BYTES }),
      MAX_CHUNK_BYTES,
    ),
  );
}
