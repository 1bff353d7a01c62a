/**
 * Public types of the provider emulators. The batch and file shapes mirror the
 * OpenAI spec's `Batch` and `OpenAIFile` schemas as the live API sends them
 * (explicit `null` for unset fields).
 */

/** One request as the emulator received it, before faults, auth or routing. */
export interface RecordedRequest {
  method: string;
  /** URL pathname, e.g. `/v1/batches/batch_abc/cancel`. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Date.now() on arrival. */
  at: number;
  /** Parsed JSON body, for JSON requests the emulator routed and read (multipart uploads are not kept here). */
  body?: unknown;
}

export type FilePurpose =
  | 'assistants'
  | 'assistants_output'
  | 'batch'
  | 'batch_output'
  | 'fine-tune'
  | 'fine-tune-results'
  | 'vision'
  | 'user_data'
  | 'evals';

export interface EmulatedFile {
  id: string;
  bytes: number;
  filename: string;
  purpose: FilePurpose;
  /** Unix seconds. */
  created_at: number;
  expires_at?: number;
  /** Exact stored bytes, served by GET …/files/:id/content. */
  content: Buffer;
}

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The Batch object exactly as GET …/batches/:id returns it. */
export interface EmulatedBatch {
  id: string;
  object: 'batch';
  endpoint: string;
  /** OpenAI only: set once validation has read the model from the input lines. */
  model?: string | null;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  /** OpenAI only (Azure documents no batch usage). Sum over the output lines. */
  usage?: BatchUsage;
  metadata: Record<string, string> | null;
}

/**
 * A scripted misbehaviour. The first fault matching a request's method and
 * pathname is applied before auth and routing.
 */
export interface Fault {
  /** HTTP method, case-insensitive; any method when absent. */
  method?: string;
  /** Pathname prefix (string) or pattern (RegExp); any path when absent. */
  path?: string | RegExp;
  /** Answer with this status instead of routing. */
  status?: number;
  /** Response body for `status`: objects are sent as JSON, strings as text/plain. Default: an OpenAI error envelope. */
  body?: unknown;
  /** Seconds, sent as `Retry-After` with `status`. */
  retryAfter?: number;
  /** Extra response headers sent with `status`. */
  headers?: Record<string, string>;
  /** Wait this long first. With nothing else set, the request then routes normally. */
  delayMs?: number;
  /** How many requests this fault applies to before it is removed. Default Infinity. */
  times?: number;
  /** Destroy the socket without answering (after `delayMs`). */
  dropConnection?: boolean;
  /**
   * Handle the request normally (a create really creates), then hold the answer this long before sending it:
   * the caller waits while the object already exists upstream (a kill point between create and its answer).
   */
  holdAnswerMs?: number;
  /** Handle the request normally, then destroy the socket instead of answering (after `holdAnswerMs`): the answer is lost. */
  loseAnswer?: boolean;
}

export interface EmulatorTiming {
  validatingMs: number;
  inProgressMs: number;
  finalizingMs: number;
  cancellingMs: number;
}

export interface EmulatorOptions {
  /** The key the emulator accepts. Default `sk-emu-openai` / `azure-emu-key`. */
  apiKey?: string;
  /** Listen port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** How long each lifecycle state lasts before the timer advances it; partial objects fill in from the defaults (30 ms each). */
  timing?: Partial<EmulatorTiming>;
  /**
   * Azure: the deployment names that exist (default `['gpt-4o-mini']`).
   * OpenAI: the models accepted in input lines (default: any).
   */
  deployments?: string[];
  /** Most request lines per batch input file. Default 50,000 (OpenAI) / 100,000 (Azure). */
  maxLines?: number;
  /** Largest batch input file accepted; default 200 MB, as the real APIs. */
  maxBatchInputBytes?: number;
  /** Azure dated API: accepted `api-version` values (default: any non-empty value). */
  apiVersions?: string[];
}

export interface ProviderEmulator {
  /** `http://127.0.0.1:PORT`. OpenAI base URL is `url + '/v1'`; Azure endpoint is `url`. */
  url: string;
  apiKey: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  files: Map<string, EmulatedFile>;
  batches: Map<string, EmulatedBatch>;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Move one batch (or every non-terminal batch) one lifecycle step now. */
  advance(batchId?: string): void;
  /** Drive every batch to a terminal state now. */
  finishAll(): void;
  /**
   * Let an in_progress (or validating/finalizing) batch run out its 24 h window now:
   * status `expired`, half of the lines done, the rest written as `batch_expired` errors.
   */
  expire(batchId: string): void;
  close(): Promise<void>;
}
