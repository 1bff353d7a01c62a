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
}

export interface GatewayConfig {
  masterKey?: string;
  databaseUrl?: string;
  deployments: Deployment[];
  groups: Map<string, ModelGroup>;
  limits: Limits;
}
