import { invalidRequest } from '../../../domain/errors.js';
import type { UploadSource } from '../../../domain/files/upload.js';
import { parseUploadFields } from '../../../api/upload-fields.js';

const MAX_HEADER_BYTES = 64 * 1024;

/**
 * An upload sent as one byte stream (tRPC's application/octet-stream input): a first line holding the fields
 * as JSON (`{"filename","purpose","target_model_names","expires_after"}`), then the JSONL file itself. Like
 * gRPC's first message, the header comes first, so `fields()` is known before the content streams through.
 */
export async function framedUploadSource(body: AsyncIterable<Uint8Array>): Promise<UploadSource> {
  const it = body[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let nl = -1;
  while (nl < 0) {
    const { done, value } = await it.next();
    if (done) throw invalidRequest('The upload stream ended before its header line', 'file', 'missing_header');
    head = Buffer.concat([head, value]);
    nl = head.indexOf(10);
    if (nl < 0 && head.length > MAX_HEADER_BYTES) throw invalidRequest('The upload header line is longer than 64 KiB', 'file', 'invalid_header');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(head.subarray(0, nl).toString('utf8'));
  } catch {
    throw invalidRequest('The upload header line is not JSON', 'file', 'invalid_header');
  }
  const fields = parseUploadFields(raw);
  const rest = head.subarray(nl + 1);
  return {
    content: (async function* () {
      if (rest.length) yield rest;
      for (;;) {
        const { done, value } = await it.next();
        if (done) return;
        yield value;
      }
    })(),
    fields: async () => fields,
    fieldsNow: () => fields,
  };
}
