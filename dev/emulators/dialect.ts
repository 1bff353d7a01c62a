/**
 * Where OpenAI and Azure OpenAI differ in Files/Batches behaviour. Everything
 * else (object shapes, lifecycle, validation codes) is shared.
 */
import { azureIds, openaiIds } from './ids.js';

export interface Dialect {
  name: 'openai' | 'azure';
  defaultApiKey: string;
  defaultMaxLines: number;
  /** Models/deployments accepted in input lines; undefined accepts any. */
  defaultDeployments: string[] | undefined;
  /** HTTP status of a successful upload (Azure answers 201 Created). */
  uploadStatus: 200 | 201;
  newFileId(): string;
  newBatchId(): string;
  /** Whether `endpoint` may be passed to batch create. */
  acceptsEndpoint(endpoint: string): boolean;
  /** Whether an input line's `url` belongs to a batch created for `endpoint`. */
  urlMatches(lineUrl: string, endpoint: string): boolean;
  /** Allowed `expires_after.seconds` / `output_expires_after.seconds`. */
  expirySecondsRange: readonly [number, number];
  /** Expiry given to uploaded `batch` files that set none. */
  defaultBatchInputExpirySeconds: number | undefined;
  /** Azure: a completed batch always gets an error file, even an empty one. */
  alwaysErrorFile: boolean;
  /** OpenAI fills Batch.model and Batch.usage; Azure documents neither. */
  reportsModelAndUsage: boolean;
  /** OpenAI rejects unknown keys in the create-batch body. */
  rejectsUnknownCreateParams: boolean;
  /** Azure rejects UTF-8 files with a BOM, misleadingly blaming the deployment. */
  bomMeansModelNotFound: boolean;
}

/** `POST /batches` endpoint values in the OpenAI spec (CreateBatchRequest.endpoint). */
export const OPENAI_BATCH_ENDPOINTS = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/moderations',
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/videos',
] as const;

const THIRTY_DAYS = 30 * 24 * 3600;

/** Azure's examples pass endpoints without `/v1` and the lines with it; both mean the same. */
function withoutV1(path: string): string {
  return path.startsWith('/v1/') ? path.slice(3) : path;
}

export const openaiDialect: Dialect = {
  name: 'openai',
  defaultApiKey: 'sk-emu-openai',
  defaultMaxLines: 50_000,
  defaultDeployments: undefined,
  uploadStatus: 200,
  newFileId: openaiIds.file,
  newBatchId: openaiIds.batch,
  acceptsEndpoint: (endpoint) => (OPENAI_BATCH_ENDPOINTS as readonly string[]).includes(endpoint),
  urlMatches: (lineUrl, endpoint) => lineUrl === endpoint,
  expirySecondsRange: [3600, THIRTY_DAYS],
  defaultBatchInputExpirySeconds: THIRTY_DAYS,
  alwaysErrorFile: false,
  reportsModelAndUsage: true,
  rejectsUnknownCreateParams: true,
  bomMeansModelNotFound: false,
};

export const azureDialect: Dialect = {
  name: 'azure',
  defaultApiKey: 'azure-emu-key',
  defaultMaxLines: 100_000,
  defaultDeployments: ['gpt-4o-mini'],
  uploadStatus: 201,
  newFileId: azureIds.file,
  newBatchId: azureIds.batch,
  acceptsEndpoint: (endpoint) => (OPENAI_BATCH_ENDPOINTS as readonly string[]).some((known) => withoutV1(known) === withoutV1(endpoint)),
  urlMatches: (lineUrl, endpoint) => withoutV1(lineUrl) === withoutV1(endpoint),
  expirySecondsRange: [1_209_600, THIRTY_DAYS],
  // Azure caps files *without* an expiry at 500, so it evidently sets none by default.
  defaultBatchInputExpirySeconds: undefined,
  alwaysErrorFile: true,
  reportsModelAndUsage: false,
  rejectsUnknownCreateParams: false,
  bomMeansModelNotFound: true,
};
