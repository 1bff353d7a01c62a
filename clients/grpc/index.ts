import { createChannel, createClientFactory, Metadata, type Channel, type ClientMiddleware } from 'nice-grpc';
import { BatchServiceDefinition, type BatchServiceClient } from './gen/sluice/v1/batches.js';
import {
  FileServiceDefinition,
  type FileServiceClient,
  type FileChunk,
  type UploadFileMetadata,
  type UploadFileRequest,
} from './gen/sluice/v1/files.js';

export {
  Batch,
  BatchServiceDefinition,
  CreateBatchRequest,
  ListBatchesRequest,
  ListBatchesResponse,
  WatchBatchRequest,
  type BatchServiceClient,
} from './gen/sluice/v1/batches.js';
export { ExpiresAfter } from './gen/sluice/v1/common.js';
export {
  File,
  FileChunk,
  FileServiceDefinition,
  UploadFileMetadata,
  UploadFileRequest,
  ListFilesRequest,
  ListFilesResponse,
  type FileServiceClient,
} from './gen/sluice/v1/files.js';

/** A failed call throws a ClientError: `err.code` is a Status, `err.details` the message. */
export { ClientError, Metadata, Status, type CallOptions } from 'nice-grpc';

/**
 * The OpenAI error's fields that a failed call's trailers carry (`sluice-error-type`, `-param`, `-code`,
 * `retry-after`). gRPC trailers are printable ASCII: the gateway percent-encodes a param or code that is not.
 */
export interface SluiceErrorFields {
  /** OpenAI's error `type`: `invalid_request_error`, `authentication_error`, `permission_error`, `rate_limit_error`, `server_error`. */
  type: string;
  param: string | null;
  code: string | null;
  /** Seconds to wait before retrying (RESOURCE_EXHAUSTED from a 429, UNAVAILABLE). */
  retryAfter: number | null;
}

/**
 * The OpenAI error's fields from a call's trailers, or null when they carry none (a successful call, or an error
 * that did not come from the gateway). Trailers come through the call's `onTrailer` option:
 * `client.files.getFile({ fileId }, { onTrailer: (t) => (trailer = t) })`.
 */
export function sluiceErrorFields(trailer: Metadata | undefined): SluiceErrorFields | null {
  const type = trailer?.get('sluice-error-type');
  if (typeof type !== 'string') return null;
  const text = (key: string) => {
    const v = trailer?.get(key);
    return typeof v === 'string' ? v : null;
  };
  const retryAfter = Number(text('retry-after'));
  return {
    type,
    param: text('sluice-error-param'),
    code: text('sluice-error-code'),
    retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  };
}

/** Upload chunks the server accepts: at most 1 MiB each. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** What uploadRequests sends by default: the largest chunk, the fastest (grpc_upload.ratio in bench/run.ts). */
export const DEFAULT_CHUNK_BYTES = MAX_CHUNK_BYTES;

export interface SluiceGrpcClient {
  files: FileServiceClient;
  batches: BatchServiceClient;
  channel: Channel;
  close(): void;
}

/**
 * Typed sluice.v1 clients for `host:port` (plain text; `https://host:port` for TLS), sending
 * `authorization: Bearer <key>` with every call. A call's own metadata (`{ metadata: Metadata({ 'idempotency-key':
 * … }) }`) is added to, not replaced: nice-grpc's default call options would be, and the key with them.
 */
export function createSluiceGrpcClient(address: string, key: string): SluiceGrpcClient {
  const channel = createChannel(address, undefined, { 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const withKey: ClientMiddleware = async function* (call, options) {
    const metadata = Metadata(options.metadata);
    if (!metadata.has('authorization')) metadata.set('authorization', `Bearer ${key}`);
    return yield* call.next(call.request, { ...options, metadata });
  };
  const factory = createClientFactory().use(withKey);
  return {
    files: factory.create(FileServiceDefinition, channel),
    batches: factory.create(BatchServiceDefinition, channel),
    channel,
    close: () => channel.close(),
  };
}

/**
 * UploadFile's request stream: the metadata, then the content in chunks of `chunkBytes` (at most 1 MiB). `content` may be
 * any byte stream (a file's read stream, a generator); it is pulled only as fast as gRPC sends it.
 */
export async function* uploadRequests(
  metadata: Partial<UploadFileMetadata> & { purpose: string },
  content: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array | string,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncGenerator<UploadFileRequest> {
  const size = Math.min(Math.max(1, chunkBytes), MAX_CHUNK_BYTES);
  yield { metadata: { filename: 'upload.jsonl', targetModelNames: [], ...metadata } };
  const source = typeof content === 'string' ? [Buffer.from(content)] : content instanceof Uint8Array ? [content] : content;
  for await (const piece of source) {
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    for (let at = 0; at < buf.length; at += size) yield { chunk: buf.subarray(at, at + size) };
  }
}

/** DownloadFileContent's stream as one Buffer (for small files; iterate the stream yourself for big ones). */
export async function readFileContent(chunks: AsyncIterable<FileChunk>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c.data));
  return Buffer.concat(parts);
}

export const TERMINAL_BATCH_STATUSES = new Set(['completed', 'failed', 'expired', 'cancelled']);
