import { z } from 'zod';
import { BATCH_ENDPOINTS } from '../domain/jsonl/endpoints.js';
import { idFilter, MAX_MODEL_NAMES, modelName, objectId, text } from './input-strings.js';

const expiresAfter = z.object({
  anchor: z.literal('created_at'),
  seconds: z.number().int().min(3600).max(2_592_000),
});

/** OpenAI's CreateBatchRequest rules (openai-openapi.yaml). */
export const createBatchInput = z.object({
  input_file_id: objectId('file'),
  endpoint: z.enum(BATCH_ENDPOINTS, { message: `must be one of ${BATCH_ENDPOINTS.join(', ')}` }),
  completion_window: z.literal('24h', { message: "must be '24h'" }),
  // OpenAI's limits, checked before any provider is called (a NUL here once made an untracked upstream batch).
  metadata: z
    .record(
      text(64).refine((k) => k.length > 0, 'keys must not be empty'),
      text(512),
    )
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 key-value pairs')
    .nullish(),
  output_expires_after: expiresAfter.optional(),
  /** sluice: the `Idempotency-Key` header of a REST call (or this field): a retry returns the same batch. */
  idempotency_key: text(255).min(1).optional(),
  /** sluice: the caller retries a request it sent before (REST: `X-Stainless-Retry-Count` > 0): same request, same batch. */
  sdk_retry: z.boolean().optional(),
});

export const listBatchesInput = z.object({
  limit: z.number().int().min(1).max(100).optional(),
  after: idFilter.optional(),
  target_model_names: z.array(modelName).max(MAX_MODEL_NAMES).optional(),
});

export const listFilesInput = z.object({
  purpose: text(32).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
  after: idFilter.optional(),
  order: z.enum(['asc', 'desc']).optional(),
});

export const fileIdInput = z.object({ file_id: objectId('file') });
export const batchIdInput = z.object({ batch_id: objectId('batch') });
export { expiresAfter };
