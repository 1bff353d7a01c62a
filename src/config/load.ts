import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, resolveEnvReferences } from './resolve-env.js';
import { rawConfigSchema, type RawConfig } from './schema.js';
import type { Deployment, GatewayConfig, ModelGroup } from './types.js';

export { ConfigError };

const DEFAULT_LIMITS = { maxFileBytes: 200 * 1024 * 1024, maxFileLines: 50_000 };
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
  return toGatewayConfig(parsed.data);
}

function toGatewayConfig(raw: RawConfig): GatewayConfig {
  const deployments = raw.model_list.map((entry, i) => toDeployment(entry, i));
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
    databaseUrl: gs.database_url,
    deployments,
    groups,
    limits: {
      maxFileBytes: gs.max_batch_file_bytes ?? DEFAULT_LIMITS.maxFileBytes,
      maxFileLines: gs.max_batch_file_lines ?? DEFAULT_LIMITS.maxFileLines,
    },
  };
}

function toDeployment(entry: RawConfig['model_list'][number], i: number): Deployment {
  const params = entry.litellm_params;
  const slash = params.model.indexOf('/');
  const provider = params.model.slice(0, slash) as Deployment['provider'];
  const model = params.model.slice(slash + 1);
  const at = `model_list[${i}].litellm_params`;
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

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '<root>';
}
