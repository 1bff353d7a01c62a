import type { Deployment } from '../../config/types.js';
import { UpstreamClient, type UpstreamObserver } from '../http/client.js';
import { OpenAICompatibleProvider } from '../openai-compatible.js';
import type { ProviderBatch, ProviderFile, UploadRequest } from '../types.js';

/** Azure keeps uploaded files 14–30 days only (upstream-batch-apis.md §4): a shorter expiry is raised to 14 days. */
const MIN_FILE_EXPIRY_SECONDS = 1_209_600;

/**
 * Azure OpenAI: `{api_base}/openai/...?api-version=…` with an `api-key` header (the dated API), or the v1 API
 * when `api_base` already ends in `/openai/v1`.
 */
export function createAzureProvider(d: Deployment, secrets: string[] = [d.apiKey], observer?: UpstreamObserver): AzureProvider {
  const isV1 = /\/openai\/v1$/.test(d.apiBase);
  return new AzureProvider(
    new UpstreamClient({
      baseUrl: isV1 ? d.apiBase : `${d.apiBase}/openai`,
      headers: { 'api-key': d.apiKey },
      query: isV1 ? undefined : { 'api-version': d.apiVersion ?? '2024-10-21' },
      timeoutMs: d.timeoutMs,
      secrets,
      deploymentId: d.id,
      observer,
    }),
  );
}

/** Azure's Batch objects differ from OpenAI's in small ways (upstream-batch-apis.md §4); fix them here, once. */
export class AzureProvider extends OpenAICompatibleProvider {
  override uploadFile(req: UploadRequest, signal?: AbortSignal): Promise<ProviderFile> {
    const e = req.expiresAfter;
    return super.uploadFile(
      e && e.seconds < MIN_FILE_EXPIRY_SECONDS ? { ...req, expiresAfter: { ...e, seconds: MIN_FILE_EXPIRY_SECONDS } } : req,
      signal,
    );
  }

  protected override normaliseBatch(batch: ProviderBatch): ProviderBatch {
    const counts = batch.request_counts;
    return {
      ...batch,
      status: typeof batch.status === 'string' ? batch.status.toLowerCase() : batch.status,
      output_file_id: batch.output_file_id || null,
      error_file_id: batch.error_file_id || null,
      request_counts: {
        total: counts?.total ?? 0,
        completed: counts?.completed ?? 0,
        failed: counts?.failed ?? 0,
      },
    };
  }

  protected override normaliseFile(file: ProviderFile): ProviderFile {
    return { ...file, status: file.status === 'processed' || !file.status ? 'processed' : file.status };
  }
}
