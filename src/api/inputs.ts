import { z } from 'zod';
import { BATCH_ENDPOINTS } from '../domain/jsonl/endpoints.js';
import type { UploadSource } from '../domain/files/upload.js';

const expiresAfter = z.object({
  anchor: z.literal('created_at'),
  seconds: z.number().int().min(3600).max(2_592_000),
});

/** OpenAI's CreateBatchRequest rules (openai-openapi.yaml). */
export const createBatchInput = z.object({
  input_file_id: z.string().min(1),
  endpoint: z.enum(BATCH_ENDPOINTS, { message: `must be one of ${BATCH_ENDPOINTS.join(', ')}` }),
  completion_window: z.literal('24h', { message: "must be '24h'" }),
  metadata: z
    .record(z.string().max(64, 'keys must be at most 64 characters'), z.string().max(512, 'values must be at most 512 characters'))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 key-value pairs')
    .nullish(),
  output_expires_after: expiresAfter.optional(),
  /** sluice: the `Idempotency-Key` header of a REST call (or this field): a retry returns the same batch. */
  idempotency_key: z.string().min(1).max(255).optional(),
  /** sluice: the caller retries a request it sent before (REST: `X-Stainless-Retry-Count` > 0): same request, same batch. */
  sdk_retry: z.boolean().optional(),
});

export const listBatchesInput = z.object({
  limit: z.number().int().min(1).max(100).optional(),
  after: z.string().optional(),
  target_model_names: z.array(z.string()).optional(),
});

export const listFilesInput = z.object({
  purpose: z.string().optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
  after: z.string().optional(),
  order: z.enum(['asc', 'desc']).optional(),
});

export const fileIdInput = z.object({ file_id: z.string() });
export const batchIdInput = z.object({ batch_id: z.string() });

/** Uploads arrive as a stream plus late-bound fields (see domain/files/upload.ts); only in-process callers. */
export const uploadInput = z.custom<UploadSource>(
  (v) => !!v && typeof v === 'object' && Symbol.asyncIterator in ((v as UploadSource).content ?? {}) && typeof (v as UploadSource).fields === 'function',
  'expected an upload stream',
);
export { expiresAfter };
