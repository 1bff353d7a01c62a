import type { UploadFileRequest } from '../../../clients/grpc/gen/sluice/v1/files.js';
import type { UploadInput } from '../../api/upload-fields.js';
import { invalidRequest, uploadCancelled } from '../../domain/errors.js';

export const MAX_UPLOAD_CHUNK_BYTES = 1024 * 1024;

/**
 * UploadFile's request stream as the router's upload input: the metadata message first, then the chunks,
 * pulled one at a time as the spool consumes them (gRPC flow control does the rest: nothing is buffered beyond
 * the stream's window). A stream that stops without a clean end (cancellation, deadline, broken connection) is
 * an error, never a short file: the domain then keeps nothing (it also checks the call's signal once the
 * content has been read, since a cancel can reach us as end-of-stream first and as the signal a little later).
 */
export async function grpcUpload(requests: AsyncIterable<UploadFileRequest>, signal: AbortSignal): Promise<UploadInput> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done || !first.value.metadata) {
    throw invalidRequest('The first UploadFileRequest must carry the metadata', 'metadata', 'missing_metadata');
  }
  const m = first.value.metadata;
  // The message under OpenAI's names, unchecked (the router's schema checks it). proto3 has no unset string:
  // an empty one is an absent one (so a missing purpose is refused in the same words as on REST).
  const fields = {
    filename: m.filename || undefined,
    purpose: m.purpose || undefined,
    target_model_names: m.targetModelNames,
    expires_after: m.expiresAfter && { anchor: m.expiresAfter.anchor, seconds: m.expiresAfter.seconds },
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
          throw invalidRequest(
            `A chunk of ${chunk.length} bytes is larger than the limit of ${MAX_UPLOAD_CHUNK_BYTES} bytes (1 MiB)`,
            'chunk',
            'chunk_too_large',
          );
        }
        yield chunk;
      }
      if (signal.aborted) throw uploadCancelled();
    })(),
    fields,
  };
}
