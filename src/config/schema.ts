import { z } from 'zod';

/** LiteLLM's `config.yaml`, the parts sluice reads. Unknown keys are kept out of the typed result but tolerated. */
const litellmParams = z.looseObject({
  model: z.string().regex(/^(azure|openai|vertex_ai)\/.+$/, 'must be "azure/<deployment>", "openai/<model>" or "vertex_ai/<model>"'),
  api_base: z.string().url().optional(),
  api_key: z.string().min(1).optional(),
  api_version: z.string().optional(),
  timeout: z.number().positive().optional(),
  /** Vertex AI (LiteLLM's keys); `vertex_credentials` is a service-account JSON string or a path to one. */
  vertex_project: z.string().min(1).optional(),
  vertex_location: z.string().min(1).optional(),
  vertex_credentials: z.string().min(1).optional(),
  gcs_bucket_name: z.string().min(1).optional(),
  /** sluice extension: the GCS JSON API endpoint (an emulator in tests). */
  gcs_api_base: z.string().url().optional(),
});

const modelInfo = z.looseObject({
  id: z.string().min(1).optional(),
  mode: z.string().optional(),
  input_cost_per_token_batches: z.number().nonnegative().optional(),
  output_cost_per_token_batches: z.number().nonnegative().optional(),
});

const modelEntry = z.looseObject({
  model_name: z.string().min(1),
  litellm_params: litellmParams,
  model_info: modelInfo.optional(),
});

const generalSettings = z.looseObject({
  master_key: z.string().min(1).optional(),
  database_url: z.string().min(1).optional(),
  /** sluice extensions: limits of a managed batch input file. */
  max_batch_file_bytes: z.number().int().positive().optional(),
  max_batch_file_lines: z.number().int().positive().optional(),
  /** sluice extensions: how long a client may take to send a whole request, and to send nothing mid-body. */
  request_timeout_seconds: z.number().positive().max(86_400).optional(),
  request_body_idle_timeout_seconds: z.number().positive().max(3600).optional(),
  /** sluice extensions: the batch tracker (src/workers/) and its batch-finished webhook. */
  batch_poll_interval_seconds: z.number().positive().optional(),
  batch_finalizing_poll_interval_seconds: z.number().positive().optional(),
  batch_lease_seconds: z.number().positive().optional(),
  /** sluice extension: a retrieve within this many ms of the replica's last provider read is served from it. */
  batch_retrieve_max_age_ms: z.number().int().min(0).max(3_600_000).optional(),
  batch_webhook_url: z.string().url().optional(),
  batch_webhook_secret: z.string().min(1).optional(),
  /** sluice extension: how long the janitor retries a failed replica delete before giving up loudly; 7 days. */
  pending_delete_max_age_seconds: z.number().positive().optional(),
  /** sluice extension: a copy of an upload that never committed (its process died) is deleted after this; 1 h. */
  uncommitted_upload_grace_seconds: z.number().positive().optional(),
  /** The bucket of Vertex deployments that name none in litellm_params (LiteLLM's key), and its endpoint. */
  gcs_bucket_name: z.string().min(1).optional(),
  gcs_api_base: z.string().url().optional(),
});

/** LiteLLM's `files_settings`: the providers behind the pass-through routes /azure/v1/* and /openai/v1/*. */
const filesSetting = z.looseObject({
  custom_llm_provider: z.enum(['azure', 'openai']),
  api_base: z.string().url().optional(),
  api_key: z.string().min(1).optional(),
  api_version: z.string().optional(),
});

export const rawConfigSchema = z.looseObject({
  model_list: z.array(modelEntry).min(1),
  general_settings: generalSettings.optional(),
  files_settings: z.array(filesSetting).optional(),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;
