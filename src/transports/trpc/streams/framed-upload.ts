import type { UploadInput } from '../../../api/upload-fields.js';
import { invalidRequest } from '../../../domain/errors.js';

const MAX_HEADER_BYTES = 64 * 1024;

/**
 * An upload sent as one byte stream (tRPC's application/octet-stream input) as the router's upload input: a
 * first line holding the fields as JSON (`{"filename","purpose","target_model_names","expires_after"}`), then
 * the JSONL file itself. Like gRPC's first message, the header comes first, so the fields go to the router
 * (unchecked) before the content streams through.
 *
 * The body's reader is told when it is not read to its end (a refused header, a content reader that stops
 * early), so that it lets go of the request body at once.
 */
export async function framedUpload(body: AsyncIterable<Uint8Array>): Promise<UploadInput> {
  const it = body[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let nl = -1;
  try {
    while (nl < 0) {
      const { done, value } = await it.next();
      if (done) throw invalidRequest('The upload stream ended before its header line', 'file', 'missing_header');
      head = Buffer.concat([head, value]);
      nl = head.indexOf(10);
      if (nl < 0 && head.length > MAX_HEADER_BYTES)
        throw invalidRequest('The upload header line is longer than 64 KiB', 'file', 'invalid_header');
    }
  } catch (err) {
    await it.return?.();
    throw err;
  }
  let fields: unknown;
  try {
    fields = JSON.parse(head.subarray(0, nl).toString('utf8'));
  } catch {
    await it.return?.();
    throw invalidRequest('The upload header line is not JSON', 'file', 'invalid_header');
  }
  const rest = head.subarray(nl + 1);
  return {
    content: (async function* () {
      try {
        if (rest.length) yield rest;
        for (;;) {
          const { done, value } = await it.next();
          if (done) return;
          yield value;
        }
      } finally {
        await it.return?.(); // a no-op once the body has ended
      }
    })(),
    fields,
  };
}
