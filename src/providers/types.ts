import type { Readable } from 'node:stream';

/** What a provider says about a file, in OpenAI's shape (providers normalise their quirks before returning it). */
export interface ProviderFile {
  id: string;
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status?: string;
  expires_at?: number | null;
}

/** A provider's Batch object, normalised to OpenAI's shape; unknown extra fields pass through. */
/**
 * The metadata key that tags an upstream batch with the gateway's create intent (domain/batches/create-intent.ts).
 * Here because a provider without OpenAI metadata must carry it its own way (Vertex: a job label).
 */
export const INTENT_TAG = 'sluice_intent';

export interface ProviderBatch {
  id: string;
  object?: string;
  status: string;
  endpoint?: string | null;
  input_file_id: string;
  output_file_id?: string | null;
  error_file_id?: string | null;
  request_counts?: { total: number; completed: number; failed: number } | null;
  [field: string]: unknown;
}

export interface UploadRequest {
  filename: string;
  purpose: string;
  /**
   * Exact byte length of what `body()` yields: lets us send Content-Length instead of chunked encoding.
   * Undefined for a copy that streams while its file is still arriving (a stream-through): sent chunked.
   */
  bytes?: number;
  /** Called once per attempt, so a retry re-reads the spooled file instead of holding it in memory. */
  body: () => AsyncIterable<Uint8Array>;
  expiresAfter?: { anchor: 'created_at'; seconds: number };
  /** The unified file ID this copy belongs to: providers that name their own objects (GCS) use it. */
  managedFileId?: string;
}

export interface CreateBatchRequest {
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata?: Record<string, string> | null;
  output_expires_after?: { anchor: 'created_at'; seconds: number };
}

export interface ContentStream {
  body: Readable;
  contentType: string;
  contentLength?: number;
}

/** The one interface every provider folder implements (see providers/registry.ts). */
export interface BatchProvider {
  /**
   * Whether `uploadFile` can send a copy whose length is not known yet (`bytes` unset: chunked), as it arrives.
   * Only such deployments take a stream-through upload (domain/files/stream-through.ts).
   */
  readonly streamsUploads: boolean;
  uploadFile(req: UploadRequest, signal?: AbortSignal): Promise<ProviderFile>;
  getFile(id: string): Promise<ProviderFile>;
  deleteFile(id: string): Promise<void>;
  fileContent(id: string, signal?: AbortSignal): Promise<ContentStream>;
  createBatch(req: CreateBatchRequest): Promise<ProviderBatch>;
  /**
   * May return the very same object as a previous call when the provider's state is unchanged (an identical
   * answer): the domain then skips translating and comparing it. So a ProviderBatch is read-only to its callers.
   */
  getBatch(id: string): Promise<ProviderBatch>;
  cancelBatch(id: string): Promise<ProviderBatch>;
  /** One page of the deployment's batches, newest first (`GET /batches?limit&after`). */
  listBatches(page?: { after?: string; limit?: number }): Promise<{ data: ProviderBatch[]; has_more: boolean }>;
}

/**
 * An upstream call that did not succeed. `status` is 0 for network failures and timeouts. The message is the
 * provider's own error message with secrets scrubbed (http/scrub.ts); never the raw body.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly status: number,
    message: string,
    readonly providerCode: string | null = null,
    readonly providerParam: string | null = null,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}
