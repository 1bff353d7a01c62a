import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, resolveEnvReferences } from './resolve-env.js';
import { rawConfigSchema, type RawConfig } from './schema.js';
import type { Deployment, GatewayConfig, ModelGroup, ProviderName } from './types.js';
import { vertexApiBase, vertexSettings } from './vertex-settings.js';

export { ConfigError };

const DEFAULT_LIMITS = { maxFileBytes: 200 * 1024 * 1024, maxFileLines: 50_000, requestTimeoutMs: 600_000, bodyIdleTimeoutMs: 30_000 };
const DEFAULT_TRACKING = { pollIntervalMs: 60_000, finalizingPollIntervalMs: 5_000, leaseMs: 30_000, retrieveMaxAgeMs: 0 };
const DEFAULT_OPENAI_BASE = 'https://api.openai.com/v1';

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: invalid YAML (${(err as Error).message})`);
  }
  return buildConfig(doc, env);
}

export function buildConfig(doc: unknown, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const resolved = resolveEnvReferences(doc, env);
  const parsed = rawConfigSchema.safeParse(resolved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${formatPath(issue.path)}: ${issue.message}`);
  }
  return toGatewayConfig(parsed.data, env);
}

function toGatewayConfig(raw: RawConfig, env: NodeJS.ProcessEnv): GatewayConfig {
  const deployments = raw.model_list.map((entry, i) => toDeployment(entry, i, raw.general_settings, env));
  const seen = new Set<string>();
  deployments.forEach((d, i) => {
    if (seen.has(d.id)) throw new ConfigError(`model_list[${i}].model_info.id: duplicate deployment id "${d.id}"`);
    seen.add(d.id);
  });
  const groups = new Map<string, ModelGroup>();
  for (const d of deployments) {
    const group = groups.get(d.modelGroup) ?? { name: d.modelGroup, mode: d.mode ?? 'chat', deployments: [] };
    group.deployments.push(d);
    groups.set(d.modelGroup, group);
  }
  const gs = raw.general_settings ?? {};
  return {
    masterKey: gs.master_key,
    providerRoutes: providerRoutes(raw, env),
    databaseUrl: gs.database_url,
    deployments,
    groups,
    limits: {
      maxFileBytes: gs.max_batch_file_bytes ?? DEFAULT_LIMITS.maxFileBytes,
      maxFileLines: gs.max_batch_file_lines ?? DEFAULT_LIMITS.maxFileLines,
      requestTimeoutMs: gs.request_timeout_seconds ? gs.request_timeout_seconds * 1000 : DEFAULT_LIMITS.requestTimeoutMs,
      bodyIdleTimeoutMs: gs.request_body_idle_timeout_seconds
        ? gs.request_body_idle_timeout_seconds * 1000
        : DEFAULT_LIMITS.bodyIdleTimeoutMs,
    },
    tracking: {
      pollIntervalMs: seconds(gs.batch_poll_interval_seconds) ?? DEFAULT_TRACKING.pollIntervalMs,
      finalizingPollIntervalMs: seconds(gs.batch_finalizing_poll_interval_seconds) ?? DEFAULT_TRACKING.finalizingPollIntervalMs,
      leaseMs: seconds(gs.batch_lease_seconds) ?? DEFAULT_TRACKING.leaseMs,
      retrieveMaxAgeMs: gs.batch_retrieve_max_age_ms ?? DEFAULT_TRACKING.retrieveMaxAgeMs,
    },
    webhook: gs.batch_webhook_url ? { url: gs.batch_webhook_url, secret: gs.batch_webhook_secret } : undefined,
    pendingDeleteMaxAgeMs: seconds(gs.pending_delete_max_age_seconds),
    uncommittedUploadGraceMs: seconds(gs.uncommitted_upload_grace_seconds),
  };
}

function toDeployment(
  entry: RawConfig['model_list'][number],
  i: number,
  gs: RawConfig['general_settings'],
  env: NodeJS.ProcessEnv,
): Deployment {
  const params = entry.litellm_params;
  const slash = params.model.indexOf('/');
  const provider = params.model.slice(0, slash) as Deployment['provider'];
  const model = params.model.slice(slash + 1);
  const at = `model_list[${i}].litellm_params`;
  if (provider === 'vertex_ai') return toVertexDeployment(entry, model, vertexSettings(params, at, gs, env));
  if (!params.api_key) throw new ConfigError(`${at}.api_key: required for ${provider} deployments`);
  if (provider === 'azure') {
    if (!params.api_base) throw new ConfigError(`${at}.api_base: required for azure deployments`);
  }
  const apiBase = (params.api_base ?? DEFAULT_OPENAI_BASE).replace(/\/+$/, '');
  const identity = `${entry.model_name}\u0000${params.model}\u0000${apiBase}`;
  return {
    id: entry.model_info?.id ?? createHash('sha256').update(identity).digest('hex').slice(0, 16),
    modelGroup: entry.model_name,
    provider,
    model,
    apiBase,
    apiKey: params.api_key,
    apiVersion: params.api_version ?? (provider === 'azure' ? '2024-10-21' : undefined),
    timeoutMs: (params.timeout ?? 600) * 1000,
    mode: entry.model_info?.mode,
    inputCostPerTokenBatches: entry.model_info?.input_cost_per_token_batches,
    outputCostPerTokenBatches: entry.model_info?.output_cost_per_token_batches,
  };
}

function toVertexDeployment(entry: RawConfig['model_list'][number], model: string, vertex: NonNullable<Deployment['vertex']>): Deployment {
  const apiBase = vertexApiBase(entry.litellm_params.api_base, vertex.location);
  const identity = `${entry.model_name}\u0000${entry.litellm_params.model}\u0000${apiBase}\u0000${vertex.project}\u0000${vertex.location}`;
  return {
    id: entry.model_info?.id ?? createHash('sha256').update(identity).digest('hex').slice(0, 16),
    modelGroup: entry.model_name,
    provider: 'vertex_ai',
    model,
    apiBase,
    apiKey: '',
    vertex,
    timeoutMs: (entry.litellm_params.timeout ?? 600) * 1000,
    mode: entry.model_info?.mode,
    inputCostPerTokenBatches: entry.model_info?.input_cost_per_token_batches,
    outputCostPerTokenBatches: entry.model_info?.output_cost_per_token_batches,
  };
}

const seconds = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000));

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '<root>';
}

/** `files_settings` entries win; otherwise the LiteLLM environment variables configure the routes. */
function providerRoutes(raw: RawConfig, env: NodeJS.ProcessEnv): Map<ProviderName, Deployment> {
  const routes = new Map<ProviderName, Deployment>();
  const add = (provider: ProviderName, apiBase: string | undefined, apiKey: string | undefined, apiVersion: string | undefined) => {
    if (!apiKey || routes.has(provider) || (provider === 'azure' && !apiBase)) return;
    routes.set(provider, {
      id: `route:${provider}`,
      modelGroup: `${provider} provider route`,
      provider,
      model: '',
      apiBase: (apiBase ?? DEFAULT_OPENAI_BASE).replace(/\/+$/, ''),
      apiKey,
      apiVersion: apiVersion ?? (provider === 'azure' ? '2024-10-21' : undefined),
      timeoutMs: 600_000,
    });
  };
  raw.files_settings?.forEach((f, i) => {
    if (!f.api_key) throw new ConfigError(`files_settings[${i}].api_key: required`);
    if (f.custom_llm_provider === 'azure' && !f.api_base) throw new ConfigError(`files_settings[${i}].api_base: required for azure`);
    add(f.custom_llm_provider, f.api_base, f.api_key, f.api_version);
  });
  add('azure', env.AZURE_API_BASE, env.AZURE_API_KEY, env.AZURE_API_VERSION);
  add('openai', env.OPENAI_API_BASE, env.OPENAI_API_KEY, undefined);
  return routes;
}
