/** Endpoints the OpenAI Batch API accepts (openai-openapi.yaml, CreateBatchRequest.endpoint). */
export const BATCH_ENDPOINTS = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/moderations',
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/videos',
] as const;

export function isBatchEndpoint(url: unknown): url is string {
  return typeof url === 'string' && (BATCH_ENDPOINTS as readonly string[]).includes(url);
}
