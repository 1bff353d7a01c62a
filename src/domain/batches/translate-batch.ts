import type { ManagedBatch } from '../../db/entities/index.js';
import type { ProviderBatch } from '../../providers/types.js';
import type { Gateway } from '../gateway.js';
import { registerOutputFile } from '../files/register-output-file.js';
import { withoutTag } from './create-intent.js';

export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Fields of OpenAI's Batch object; anything else a provider adds (Azure's blob fields…) is dropped. */
const TIMESTAMPS = [
  'in_progress_at',
  'expires_at',
  'finalizing_at',
  'completed_at',
  'failed_at',
  'expired_at',
  'cancelling_at',
  'cancelled_at',
] as const;

export type BatchObject = ReturnType<typeof shapeBatch>;

/**
 * The provider's Batch as our caller must see it: unified IDs everywhere (output and error files become
 * managed files of the batch's owner), the model group instead of the deployment's model name, and
 * OpenAI's explicit nulls.
 */
export async function translateBatch(gw: Gateway, row: ManagedBatch, upstream: ProviderBatch): Promise<BatchObject> {
  const outputFileId = upstream.output_file_id
    ? (row.outputFileId ?? (await registerOutputFile(gw, row, upstream.output_file_id, 'output')))
    : null;
  const errorFileId = upstream.error_file_id
    ? (row.errorFileId ?? (await registerOutputFile(gw, row, upstream.error_file_id, 'error')))
    : null;
  return shapeBatch(row, upstream, outputFileId, errorFileId);
}

function shapeBatch(row: ManagedBatch, upstream: ProviderBatch, outputFileId: string | null, errorFileId: string | null) {
  const timestamps = Object.fromEntries(
    TIMESTAMPS.map((k) => [k, typeof upstream[k] === 'number' ? (upstream[k] as number) : null]),
  ) as Record<(typeof TIMESTAMPS)[number], number | null>;
  const counts = upstream.request_counts;
  return {
    id: row.id,
    object: 'batch' as const,
    endpoint: row.endpoint,
    model: row.modelGroup,
    errors: (upstream.errors as { object: string; data: unknown[] } | null | undefined) ?? null,
    input_file_id: row.inputFileId,
    completion_window: typeof upstream.completion_window === 'string' ? upstream.completion_window : '24h',
    status: upstream.status,
    output_file_id: outputFileId,
    error_file_id: errorFileId,
    created_at: typeof upstream.created_at === 'number' ? upstream.created_at : row.createdAt,
    ...timestamps,
    request_counts: { total: counts?.total ?? 0, completed: counts?.completed ?? 0, failed: counts?.failed ?? 0 },
    ...(upstream.usage ? { usage: upstream.usage as Record<string, unknown> } : {}),
    // A provider that keeps no metadata (Vertex) leaves it absent: the caller's, as first stored, carries on.
    metadata: withoutTag((upstream.metadata ?? row.snapshot?.metadata) as Record<string, string> | null | undefined),
  };
}
