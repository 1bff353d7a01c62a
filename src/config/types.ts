/** The typed, validated configuration: built once at start; nothing else reads env vars or YAML. */
export type ProviderName = 'openai' | 'azure';
/** Providers a model group's deployment may use: the OpenAI-format ones, and Vertex AI (Gemini) via translation. */
export type DeploymentProvider = ProviderName | 'vertex_ai';

/** A Google service account key (the JSON file GCP issues), the fields google-auth-library reads. */
export interface ServiceAccountKey {
  type?: string;
  project_id?: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
  [field: string]: unknown;
}

/** What a `vertex_ai/<model>` deployment needs besides the common fields. */
export interface VertexSettings {
  project: string;
  location: string;
  credentials: ServiceAccountKey;
  /** The GCS bucket batch input and output files live in. */
  bucket: string;
  /** The GCS JSON API endpoint (`gcs_api_base`); the library's default when absent. Tests point it at an emulator. */
  storageEndpoint?: string;
}

export interface Deployment {
  /** Stable identity stored in the database: `model_info.id`, else a hash of what makes the deployment unique. */
  id: string;
  /** The model group (`model_name`) it serves. */
  modelGroup: string;
  provider: DeploymentProvider;
  /** What `body.model` must say at this deployment (Azure: the deployment name; Vertex: the Gemini model). */
  model: string;
  /** Vertex: the endpoint root before `/v1` (`https://us-central1-aiplatform.googleapis.com`). */
  apiBase: string;
  /** Empty for Vertex, which authenticates with `vertex.credentials`. */
  apiKey: string;
  vertex?: VertexSettings;
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
  /** general_settings.uncommitted_upload_grace_seconds: when the janitor deletes a copy whose upload never committed; 1 h. */
  uncommittedUploadGraceMs?: number;
}
