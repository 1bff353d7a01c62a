import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError, loadConfigFile } from '../../src/config/load.js';

const entry = (name: string, model: string, extra: Record<string, unknown> = {}) => ({
  model_name: name,
  litellm_params: { model, api_base: 'https://x.openai.azure.com', api_key: 'k', ...extra },
});

describe('config.yaml (LiteLLM format)', () => {
  it('parses model groups, providers, costs and general settings', () => {
    const cfg = buildConfig({
      model_list: [
        {
          ...entry('g', 'azure/dep-a', { api_version: '2025-01-01' }),
          model_info: { mode: 'batch', id: 'a', input_cost_per_token_batches: 1e-6, output_cost_per_token_batches: 2e-6 },
        },
        entry('g', 'azure/dep-b'),
        { model_name: 'o', litellm_params: { model: 'openai/gpt-4o-mini', api_key: 'sk' } },
      ],
      general_settings: { master_key: 'mk', database_url: 'postgres://x/y', max_batch_file_lines: 10 },
    });
    expect(cfg.masterKey).toBe('mk');
    expect(cfg.databaseUrl).toBe('postgres://x/y');
    expect(cfg.limits).toEqual({ maxFileBytes: 200 * 1024 * 1024, maxFileLines: 10, requestTimeoutMs: 600_000, bodyIdleTimeoutMs: 30_000 });
    expect([...cfg.groups.keys()]).toEqual(['g', 'o']);
    const [a, b] = cfg.groups.get('g')!.deployments;
    expect(a).toMatchObject({ id: 'a', provider: 'azure', model: 'dep-a', apiVersion: '2025-01-01', inputCostPerTokenBatches: 1e-6 });
    expect(b.id).toMatch(/^[0-9a-f]{16}$/); // stable hash when model_info.id is absent
    expect(buildConfig({ model_list: [entry('g', 'azure/dep-a'), entry('g', 'azure/dep-b')] }).groups.get('g')!.deployments[1].id).toBe(
      b.id,
    );
    expect(cfg.groups.get('g')!.mode).toBe('batch');
    expect(cfg.groups.get('o')!.deployments[0].apiBase).toBe('https://api.openai.com/v1');
  });

  it('resolves os.environ/VAR anywhere, and names the path of a missing one', () => {
    const doc = {
      model_list: [
        entry('g', 'azure/a'),
        {
          ...entry('g', 'azure/b'),
          litellm_params: { model: 'azure/b', api_base: 'os.environ/BASE', api_key: 'os.environ/AZURE_API_KEY_2' },
        },
      ],
      general_settings: { master_key: 'os.environ/MK' },
    };
    const cfg = buildConfig(doc, { BASE: 'https://b.openai.azure.com', AZURE_API_KEY_2: 'secret2', MK: 'm' });
    expect(cfg.deployments[1]).toMatchObject({ apiBase: 'https://b.openai.azure.com', apiKey: 'secret2' });
    expect(cfg.masterKey).toBe('m');
    expect(() => buildConfig(doc, { BASE: 'https://b', MK: 'm' })).toThrow(
      new ConfigError('model_list[1].litellm_params.api_key: environment variable AZURE_API_KEY_2 is not set'),
    );
  });

  it('reports bad values with their path', () => {
    expect(() => buildConfig({ model_list: [entry('g', 'bedrock/x')] })).toThrow(
      /^model_list\[0\]\.litellm_params\.model: must be "azure\/<deployment>", "openai\/<model>" or "vertex_ai\/<model>"/,
    );
    expect(() => buildConfig({ model_list: [] })).toThrow(/^model_list:/);
    expect(() => buildConfig({ model_list: [{ model_name: 'g', litellm_params: { model: 'azure/x', api_key: 'k' } }] })).toThrow(
      /^model_list\[0\]\.litellm_params\.api_base: required for azure/,
    );
    expect(() =>
      buildConfig({
        model_list: [
          entry('g', 'azure/a'),
          { ...entry('g', 'azure/b'), model_info: { id: 'dup' } },
          { ...entry('h', 'azure/c'), model_info: { id: 'dup' } },
        ],
      }),
    ).toThrow(/duplicate deployment id "dup"/);
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), 'model_list: [\n');
    expect(() => loadConfigFile(join(dir, 'bad.yaml'))).toThrow(/invalid YAML/);
    expect(() => loadConfigFile(join(dir, 'missing.yaml'))).toThrow(/cannot read config file/);
  });

  it('configures the provider routes from files_settings or the environment', () => {
    const fromEnv = buildConfig(
      { model_list: [entry('g', 'azure/a')] },
      { AZURE_API_BASE: 'https://r.openai.azure.com', AZURE_API_KEY: 'ak', OPENAI_API_KEY: 'ok' },
    );
    expect(fromEnv.providerRoutes.get('azure')).toMatchObject({ apiBase: 'https://r.openai.azure.com', apiKey: 'ak' });
    expect(fromEnv.providerRoutes.get('openai')).toMatchObject({ apiBase: 'https://api.openai.com/v1', apiKey: 'ok' });
    const fromConfig = buildConfig(
      {
        model_list: [entry('g', 'azure/a')],
        files_settings: [{ custom_llm_provider: 'azure', api_base: 'https://f.openai.azure.com', api_key: 'fk' }],
      },
      { AZURE_API_BASE: 'https://r', AZURE_API_KEY: 'ak' },
    );
    expect(fromConfig.providerRoutes.get('azure')!.apiKey).toBe('fk');
    expect(buildConfig({ model_list: [entry('g', 'azure/a')] }, {}).providerRoutes.size).toBe(0);
  });
});

describe('vertex_ai deployments (LiteLLM keys)', () => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = { type: 'service_account', project_id: 'proj-from-key', client_email: 'sa@p.iam.gserviceaccount.com', private_key: pem };
  const vertex = (params: Record<string, unknown>) => ({
    model_name: 'gem',
    litellm_params: { model: 'vertex_ai/gemini-2.5-flash', ...params },
  });

  it('reads project, location, credentials (JSON or a path, os.environ/ allowed) and the bucket', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'sa.json'), JSON.stringify(key));
    const cfg = buildConfig(
      {
        model_list: [
          vertex({
            vertex_project: 'p1',
            vertex_location: 'europe-west4',
            vertex_credentials: 'os.environ/SA_JSON',
            gcs_bucket_name: 'gs://b1/',
          }),
          vertex({ vertex_credentials: join(dir, 'sa.json'), api_base: 'http://127.0.0.1:9/v1', gcs_api_base: 'http://127.0.0.1:8' }),
          entry('gem', 'azure/dep-a'),
        ],
        general_settings: { gcs_bucket_name: 'shared-bucket' },
      },
      { SA_JSON: JSON.stringify(key) },
    );
    const [a, b, c] = cfg.groups.get('gem')!.deployments;
    expect(a).toMatchObject({
      provider: 'vertex_ai',
      model: 'gemini-2.5-flash',
      apiBase: 'https://europe-west4-aiplatform.googleapis.com',
      apiKey: '',
    });
    expect(a.vertex).toMatchObject({
      project: 'p1',
      location: 'europe-west4',
      bucket: 'b1',
      credentials: { client_email: key.client_email },
    });
    expect(b).toMatchObject({
      apiBase: 'http://127.0.0.1:9',
      vertex: { project: 'proj-from-key', location: 'us-central1', bucket: 'shared-bucket', storageEndpoint: 'http://127.0.0.1:8' },
    });
    expect(c.provider).toBe('azure');
    expect(a.id).not.toBe(b.id);
  });

  it('names the path and cause of each start-up error, never the key itself', () => {
    const at = 'model_list[0].litellm_params';
    const bad =
      (params: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
      () =>
        buildConfig({ model_list: [vertex(params)] }, env);
    expect(bad({ gcs_bucket_name: 'b' })).toThrow(
      new ConfigError(`${at}.vertex_credentials: required for vertex_ai deployments (a service account key as JSON or a path to one)`),
    );
    expect(bad({ vertex_credentials: '/nonexistent/sa.json', gcs_bucket_name: 'b' })).toThrow(
      new ConfigError(`${at}.vertex_credentials: cannot read the service account key file /nonexistent/sa.json (ENOENT)`),
    );
    expect(bad({ vertex_credentials: '{"private_key": "SECRET", oops', gcs_bucket_name: 'b' })).toThrow(
      /^model_list\[0\]\.litellm_params\.vertex_credentials: the service account key is not valid JSON/,
    );
    expect(bad({ vertex_credentials: '{"private_key": "SECRET", oops', gcs_bucket_name: 'b' })).not.toThrow(/SECRET/);
    expect(bad({ vertex_credentials: JSON.stringify({ private_key: 'x' }), gcs_bucket_name: 'b' })).toThrow(
      new ConfigError(`${at}.vertex_credentials: the service account key has no client_email`),
    );
    expect(
      bad({
        vertex_credentials: JSON.stringify({ ...key, private_key: '-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n' }),
        gcs_bucket_name: 'b',
      }),
    ).toThrow(new ConfigError(`${at}.vertex_credentials: the service account key's private_key is not a valid PEM private key`));
    expect(bad({ vertex_credentials: JSON.stringify({ ...key, project_id: undefined }), gcs_bucket_name: 'b' })).toThrow(
      new ConfigError(`${at}.vertex_project: required (the service account key has no project_id)`),
    );
    expect(bad({ vertex_credentials: JSON.stringify(key) })).toThrow(
      new ConfigError(`${at}.gcs_bucket_name: required for vertex_ai deployments (or general_settings.gcs_bucket_name)`),
    );
    expect(bad({ vertex_credentials: 'os.environ/NOPE', gcs_bucket_name: 'b' })).toThrow(
      new ConfigError(`${at}.vertex_credentials: environment variable NOPE is not set`),
    );
    expect(() => buildConfig({ model_list: [entry('g', 'bedrock/x')] })).toThrow(
      /must be "azure\/<deployment>", "openai\/<model>" or "vertex_ai\/<model>"/,
    );
  });
});
