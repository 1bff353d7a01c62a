/** The typed, validated configuration: built once at start; nothing else reads env vars or YAML. */
export type ProviderName = 'openai' | 'azure';

export interface Deployment {
  /** Stable identity stored in the database: `model_info.id`, else a hash of what makes the deployment unique. */
  id: string;
  /** The model group (`model_name`) it serves. */
  modelGroup: string;
  provider: ProviderName;
  /** What `body.model` must say at this deployment (Azure: the deployment name). */
  model: string;
  apiBase: string;
  apiKey: string;
  apiVersion?: string;
  timeoutMs: number;
  mode?: string;
  inputCostPerTokenBatches?: number;
  outputCostPerTokenBatches?: number;
}

export interface ModelGroup {
  name: string;
  mode: string;
  deployments: Deployment[];
}

export interface Limits {
  maxFileBytes: number;
  maxFileLines: number;
  /** A request must be fully received within this (Node answers 408 after it); default 10 min, for big uploads. */
  requestTimeoutMs: number;
  /** A request body that sends nothing for this long is a 408 and its spool is removed; default 30 s. */
  bodyIdleTimeoutMs: number;
}

/** How the batch tracker follows batches (general_settings.batch_*). */
export interface TrackingSettings {
  /** Time between two polls of a running batch (jittered ±10 %); default 60 s. */
  pollIntervalMs: number;
  /** Poll interval while a batch is `finalizing` (its output is near); default 5 s. */
  finalizingPollIntervalMs: number;
  /** How long a replica's claim on a batch lasts without renewal: a dead replica's batches wait this long; 30 s. */
  leaseMs: number;
  /**
   * A retrieve of a running batch within this many ms of this replica's last read from the provider is answered
   * from that read (general_settings.batch_retrieve_max_age_ms); 0 (default): every retrieve asks the provider.
   */
  retrieveMaxAgeMs: number;
}

/** Where to POST a signed `batch.finished` event. */
export interface WebhookSettings {
  url: string;
  /** HMAC-SHA256 key for the `x-sluice-signature` header; unsigned when absent. */
  secret?: string;
}

export interface GatewayConfig {
  masterKey?: string;
  /**
   * Providers for the pass-through routes (/azure/v1/*, /openai/v1/*), from `files_settings` or from the
   * environment (AZURE_API_BASE/AZURE_API_KEY/AZURE_API_VERSION, OPENAI_API_KEY/OPENAI_API_BASE).
   */
  providerRoutes: Map<ProviderName, Deployment>;
  databaseUrl?: string;
  deployments: Deployment[];
  groups: Map<string, ModelGroup>;
  limits: Limits;
  tracking: TrackingSettings;
  webhook?: WebhookSettings;
  /** general_settings.pending_delete_max_age_seconds: the janitor gives up on a replica delete this old; 7 days. */
  pendingDeleteMaxAgeMs?: number;
}
