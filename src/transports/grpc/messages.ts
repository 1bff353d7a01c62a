import type { Batch, BatchUsage } from '../../../clients/grpc/gen/sluice/v1/batches.js';
import type { File } from '../../../clients/grpc/gen/sluice/v1/files.js';
import type { BatchObject } from '../../domain/batches/translate-batch.js';
import type { FileObject } from '../../domain/files/file-object.js';

/** OpenAI's objects as proto messages: JSON's nulls become unset optionals; a null metadata, an empty map. */

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function toProtoFile(f: FileObject): File {
  return {
    id: f.id,
    object: f.object,
    bytes: f.bytes,
    createdAt: f.created_at,
    expiresAt: opt(f.expires_at),
    filename: f.filename,
    purpose: f.purpose,
    status: f.status,
    statusDetails: opt(f.status_details as string | null),
  };
}

interface RawBatchError {
  code?: string | null;
  message?: string | null;
  param?: string | null;
  line?: number | null;
}

export function toProtoBatch(b: BatchObject): Batch {
  const usage = (b as { usage?: Record<string, unknown> }).usage;
  return {
    id: b.id,
    object: b.object,
    endpoint: b.endpoint,
    model: opt(b.model),
    errors: b.errors
      ? {
          object: b.errors.object,
          data: (b.errors.data as RawBatchError[]).map((e) => ({
            code: e.code ?? '',
            message: e.message ?? '',
            param: opt(e.param),
            line: opt(e.line),
          })),
        }
      : undefined,
    inputFileId: b.input_file_id,
    completionWindow: b.completion_window,
    status: b.status,
    outputFileId: opt(b.output_file_id),
    errorFileId: opt(b.error_file_id),
    createdAt: b.created_at,
    inProgressAt: opt(b.in_progress_at),
    expiresAt: opt(b.expires_at),
    finalizingAt: opt(b.finalizing_at),
    completedAt: opt(b.completed_at),
    failedAt: opt(b.failed_at),
    expiredAt: opt(b.expired_at),
    cancellingAt: opt(b.cancelling_at),
    cancelledAt: opt(b.cancelled_at),
    requestCounts: { total: b.request_counts.total, completed: b.request_counts.completed, failed: b.request_counts.failed },
    usage: usage ? toProtoUsage(usage) : undefined,
    metadata: b.metadata ?? {},
  };
}

function toProtoUsage(u: Record<string, unknown>): BatchUsage {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const details = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
  return {
    inputTokens: n(u.input_tokens),
    inputTokensDetails: { cachedTokens: n(details(u.input_tokens_details).cached_tokens) },
    outputTokens: n(u.output_tokens),
    outputTokensDetails: { reasoningTokens: n(details(u.output_tokens_details).reasoning_tokens) },
    totalTokens: n(u.total_tokens),
  };
}

export function toProtoPage<T, P>(
  page: { data: T[]; first_id: string | null; last_id: string | null; has_more: boolean },
  each: (item: T) => P,
) {
  return { object: 'list', data: page.data.map(each), firstId: opt(page.first_id), lastId: opt(page.last_id), hasMore: page.has_more };
}
