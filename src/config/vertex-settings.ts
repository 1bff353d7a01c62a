import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './resolve-env.js';
import type { RawConfig } from './schema.js';
import type { ServiceAccountKey, VertexSettings } from './types.js';

type Params = RawConfig['model_list'][number]['litellm_params'];

/**
 * The Vertex part of a `vertex_ai/<model>` deployment, LiteLLM's keys: `vertex_credentials` (a service-account
 * JSON string or a path to one; GOOGLE_APPLICATION_CREDENTIALS when absent), `vertex_project` (else the key's
 * project_id), `vertex_location` (else us-central1, LiteLLM's default) and `gcs_bucket_name` (else
 * general_settings'). Every problem names the path of the value at fault.
 */
export function vertexSettings(params: Params, at: string, gs: RawConfig['general_settings'], env: NodeJS.ProcessEnv): VertexSettings {
  const credentials = readCredentials(params.vertex_credentials, env, `${at}.vertex_credentials`);
  const project = params.vertex_project ?? credentials.project_id;
  if (!project) throw new ConfigError(`${at}.vertex_project: required (the service account key has no project_id)`);
  const bucket = params.gcs_bucket_name ?? gs?.gcs_bucket_name;
  if (!bucket) throw new ConfigError(`${at}.gcs_bucket_name: required for vertex_ai deployments (or general_settings.gcs_bucket_name)`);
  const storageEndpoint = params.gcs_api_base ?? gs?.gcs_api_base;
  return {
    project,
    location: params.vertex_location ?? 'us-central1',
    credentials,
    bucket: bucket.replace(/^gs:\/\//, '').replace(/\/+$/, ''),
    ...(storageEndpoint ? { storageEndpoint: storageEndpoint.replace(/\/+$/, '') } : {}),
  };
}

/** Vertex's regional endpoint root (`global` has none), or `api_base` without a trailing `/v1`. */
export function vertexApiBase(apiBase: string | undefined, location: string): string {
  if (apiBase) return apiBase.replace(/\/+$/, '').replace(/\/v1$/, '');
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

function readCredentials(value: string | undefined, env: NodeJS.ProcessEnv, at: string): ServiceAccountKey {
  const source = value ?? env.GOOGLE_APPLICATION_CREDENTIALS;
  if (!source) throw new ConfigError(`${at}: required for vertex_ai deployments (a service account key as JSON or a path to one)`);
  let text = source;
  if (!source.trim().startsWith('{')) {
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `${at}: cannot read the service account key file ${source} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch (err) {
    // Never echo the text: it is a private key.
    throw new ConfigError(`${at}: the service account key is not valid JSON (${(err as Error).message.replace(/".*"/, '…')})`);
  }
  const k = key as Partial<ServiceAccountKey> | null;
  if (!k || typeof k !== 'object') throw new ConfigError(`${at}: the service account key must be a JSON object`);
  for (const field of ['client_email', 'private_key'] as const) {
    if (typeof k[field] !== 'string' || !k[field]) throw new ConfigError(`${at}: the service account key has no ${field}`);
  }
  try {
    createPrivateKey(k.private_key!); // caught here, not at the first batch call
  } catch {
    throw new ConfigError(`${at}: the service account key's private_key is not a valid PEM private key`);
  }
  return k as ServiceAccountKey;
}
