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
        { ...entry('g', 'azure/dep-a', { api_version: '2025-01-01' }), model_info: { mode: 'batch', id: 'a', input_cost_per_token_batches: 1e-6, output_cost_per_token_batches: 2e-6 } },
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
    expect(buildConfig({ model_list: [entry('g', 'azure/dep-a'), entry('g', 'azure/dep-b')] }).groups.get('g')!.deployments[1].id).toBe(b.id);
    expect(cfg.groups.get('g')!.mode).toBe('batch');
    expect(cfg.groups.get('o')!.deployments[0].apiBase).toBe('https://api.openai.com/v1');
  });

  it('resolves os.environ/VAR anywhere, and names the path of a missing one', () => {
    const doc = { model_list: [entry('g', 'azure/a'), { ...entry('g', 'azure/b'), litellm_params: { model: 'azure/b', api_base: 'os.environ/BASE', api_key: 'os.environ/AZURE_API_KEY_2' } }], general_settings: { master_key: 'os.environ/MK' } };
    const cfg = buildConfig(doc, { BASE: 'https://b.openai.azure.com', AZURE_API_KEY_2: 'secret2', MK: 'm' });
    expect(cfg.deployments[1]).toMatchObject({ apiBase: 'https://b.openai.azure.com', apiKey: 'secret2' });
    expect(cfg.masterKey).toBe('m');
    expect(() => buildConfig(doc, { BASE: 'https://b', MK: 'm' })).toThrow(
      new ConfigError('model_list[1].litellm_params.api_key: environment variable AZURE_API_KEY_2 is not set'),
    );
  });

  it('reports bad values with their path', () => {
    expect(() => buildConfig({ model_list: [entry('g', 'bedrock/x')] })).toThrow(/^model_list\[0\]\.litellm_params\.model: must be "azure\/<deployment>", "openai\/<model>" or "vertex_ai\/<model>"/);
    expect(() => buildConfig({ model_list: [] })).toThrow(/^model_list:/);
    expect(() => buildConfig({ model_list: [{ model_name: 'g', litellm_params: { model: 'azure/x', api_key: 'k' } }] })).toThrow(/^model_list\[0\]\.litellm_params\.api_base: required for azure/);
    expect(() => buildConfig({ model_list: [entry('g', 'azure/a'), { ...entry('g', 'azure/b'), model_info: { id: 'dup' } }, { ...entry('h', 'azure/c'), model_info: { id: 'dup' } }] })).toThrow(/duplicate deployment id "dup"/);
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), 'model_list: [\n');
    expect(() => loadConfigFile(join(dir, 'bad.yaml'))).toThrow(/invalid YAML/);
    expect(() => loadConfigFile(join(dir, 'missing.yaml'))).toThrow(/cannot read config file/);
  });

  it('configures the provider routes from files_settings or the environment', () => {
    const fromEnv = buildConfig({ model_list: [entry('g', 'azure/a')] }, { AZURE_API_BASE: 'https://r.openai.azure.com', AZURE_API_KEY: 'ak', OPENAI_API_KEY: 'ok' });
    expect(fromEnv.providerRoutes.get('azure')).toMatchObject({ apiBase: 'https://r.openai.azure.com', apiKey: 'ak' });
    expect(fromEnv.providerRoutes.get('openai')).toMatchObject({ apiBase: 'https://api.openai.com/v1', apiKey: 'ok' });
    const fromConfig = buildConfig({ model_list: [entry('g', 'azure/a')], files_settings: [{ custom_llm_provider: 'azure', api_base: 'https://f.openai.azure.com', api_key: 'fk' }] }, { AZURE_API_BASE: 'https://r', AZURE_API_KEY: 'ak' });
    expect(fromConfig.providerRoutes.get('azure')!.apiKey).toBe('fk');
    expect(buildConfig({ model_list: [entry('g', 'azure/a')] }, {}).providerRoutes.size).toBe(0);
  });
});
