import type { UploadFileRequest } from '../../../clients/grpc/gen/sluice/v1/files.js';
import { GatewayError, invalidRequest } from '../../domain/errors.js';
import type { UploadFields, UploadSource } from '../../domain/files/upload.js';

export const MAX_UPLOAD_CHUNK_BYTES = 1024 * 1024;

const cancelled = () => new GatewayError('invalid_request', 'The client cancelled the upload', 'file', 'upload_cancelled');

/**
 * UploadFile's request stream as the router's UploadSource: the metadata message first (so `fields()` is known
 * at once), then the chunks, pulled one at a time as the spool consumes them (gRPC flow control does the rest:
 * nothing is buffered beyond the stream's window). A stream that stops without a clean end (cancellation,
 * deadline, broken connection) is an error, never a short file: the domain then keeps nothing.
 */
export async function grpcUploadSource(requests: AsyncIterable<UploadFileRequest>, signal: AbortSignal): Promise<UploadSource> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done || !first.value.metadata) {
    throw invalidRequest('The first UploadFileRequest must carry the metadata', 'metadata', 'missing_metadata');
  }
  const m = first.value.metadata;
  const fields: UploadFields = {
    filename: m.filename || 'upload.jsonl',
    purpose: m.purpose,
    targetModelNames: m.targetModelNames,
    expiresAfter: m.expiresAfter ? { anchor: m.expiresAfter.anchor as 'created_at', seconds: m.expiresAfter.seconds } : undefined,
  };
  return {
    content: (async function* () {
      for (;;) {
        const { done, value } = await it.next();
        if (done) break;
        if (value.metadata) throw invalidRequest('Only the first UploadFileRequest may carry metadata', 'metadata', 'unexpected_metadata');
        const chunk = value.chunk;
        if (!chunk || chunk.length === 0) continue;
        if (chunk.length > MAX_UPLOAD_CHUNK_BYTES) {
          throw invalidRequest(`A chunk of ${chunk.length} bytes is larger than the limit of ${MAX_UPLOAD_CHUNK_BYTES} bytes (1 MiB)`, 'chunk', 'chunk_too_large');
        }
        yield chunk;
      }
      if (signal.aborted) throw cancelled();
    })(),
    // Known from the first message on: the domain may start the copies while the chunks still arrive.
    fieldsNow: () => fields,
    // Read after the content has been spooled: by then a cancellation that ended the stream is known.
    async fields() {
      if (signal.aborted) throw cancelled();
      return fields;
    },
  };
}
