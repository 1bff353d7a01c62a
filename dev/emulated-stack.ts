import OpenAI from 'openai';
import type { Logger } from 'pino';
import { startGateway, type RunningGateway, type StartOptions } from '../src/app.js';
import { buildConfig } from '../src/config/load.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { AZURE_KEY_EAST, AZURE_KEY_WEST, OPENAI_KEY } from './emulated-secrets.js';
import {
  startAzureEmulator,
  startOpenAIEmulator,
  startVertexEmulator,
  type ProviderEmulator,
  type VertexEmulator,
} from './emulators/index.js';
import { captureLogs } from './log-capture.js';

export { AZURE_KEY_EAST, AZURE_KEY_WEST, OPENAI_KEY };
export const MASTER_KEY = 'sk-master-test-0123456789';
/** What `body.model` says at each deployment: internal names that no response may carry (the e2e scan checks). */
export const DEPLOYMENT_MODELS = ['gpt-4o-east', 'gpt-4o-west', 'gpt-4o-mini'] as const;

export interface EmulatedStack {
  /** `host:port` of the gateway's gRPC server. */
  grpcAddress: string;
  gateway: RunningGateway;
  url: string;
  /** `gpt-4o-batch`: two Azure deployments (east, west). */
  east: ProviderEmulator;
  west: ProviderEmulator;
  /** `gpt-4o-mini-batch`: one OpenAI deployment. */
  openai: ProviderEmulator;
  /**
   * With `vertex: true`: the Vertex emulator (token endpoint, GCS, batchPredictionJobs) behind `gemini-batch`
   * (one Vertex deployment) and `mixed-batch` (one Azure deployment on `east` + one Vertex deployment).
   */
  vertex?: VertexEmulator;
  client: OpenAI;
  clientFor(key: string): OpenAI;
  /** The gateway's log lines (JSON), when no `logger` was given. */
  logs: string[];
  db: TestDatabase;
  close(): Promise<void>;
}

export interface EmulatedStackOptions {
  db: DatabaseKind;
  limits?: { max_batch_file_bytes?: number; max_batch_file_lines?: number };
  timing?: { validatingMs: number; inProgressMs: number; finalizingMs: number; cancellingMs: number };
  /** Extra general_settings (batch_webhook_url…). */
  generalSettings?: Record<string, unknown>;
  tracker?: StartOptions['tracker'];
  webhook?: StartOptions['webhook'];
  /** HTTP and gRPC ports (default 0: any free one). */
  port?: number;
  grpcPort?: number;
  /** Default: a logger whose lines are kept in `logs`. */
  logger?: Logger;
  /** Also start the Vertex emulator and the `gemini-batch` and `mixed-batch` groups. */
  vertex?: boolean;
}

export const VERTEX_BUCKET = 'sluice-emulated-batches';

/** The Vertex deployments' config entries: credentials from the emulator's service account, endpoints at it. */
function vertexEntries(vertex: VertexEmulator, east: ProviderEmulator) {
  const params = {
    model: 'vertex_ai/gemini-2.5-flash',
    vertex_project: vertex.project,
    vertex_location: vertex.location,
    vertex_credentials: 'os.environ/TEST_VERTEX_CREDENTIALS',
    api_base: vertex.url,
    gcs_api_base: vertex.url,
  };
  return [
    {
      model_name: 'gemini-batch',
      litellm_params: { ...params, gcs_bucket_name: VERTEX_BUCKET },
      model_info: { mode: 'batch', id: 'vertex-gemini' },
    },
    {
      model_name: 'mixed-batch',
      litellm_params: {
        model: 'azure/gpt-4o-east',
        api_base: east.url,
        api_key: 'os.environ/TEST_AZURE_KEY_EAST',
        api_version: '2024-10-21',
      },
      model_info: { mode: 'batch', id: 'mixed-azure' },
    },
    { model_name: 'mixed-batch', litellm_params: params, model_info: { mode: 'batch', id: 'mixed-vertex' } },
  ];
}

/**
 * sluice on emulated deployments, with a real database: the stack that the tests, `scripts/serve-emulated.ts`
 * and the bench share. Importing it has no side effects (the test suite's secret scan is added by test/support).
 */
export async function startEmulatedStack(opts: EmulatedStackOptions): Promise<EmulatedStack> {
  // Slow enough that a batch never finishes under a test's feet; tests that want it done call advance().
  const timing = opts.timing ?? { validatingMs: 1000, inProgressMs: 1000, finalizingMs: 1000, cancellingMs: 1000 };
  const east = await startAzureEmulator({ apiKey: AZURE_KEY_EAST, deployments: ['gpt-4o-east'], timing });
  const west = await startAzureEmulator({ apiKey: AZURE_KEY_WEST, deployments: ['gpt-4o-west'], timing });
  const openai = await startOpenAIEmulator({ apiKey: OPENAI_KEY, timing });
  const vertex = opts.vertex
    ? await startVertexEmulator({
        timing: { pendingMs: timing.validatingMs, runningMs: timing.inProgressMs, cancellingMs: timing.cancellingMs },
      })
    : undefined;
  const config = buildConfig(
    {
      model_list: [
        {
          model_name: 'gpt-4o-batch',
          litellm_params: {
            model: 'azure/gpt-4o-east',
            api_base: east.url,
            api_key: 'os.environ/TEST_AZURE_KEY_EAST',
            api_version: '2024-10-21',
          },
          model_info: { mode: 'batch', id: 'east', input_cost_per_token_batches: 0.00000125, output_cost_per_token_batches: 0.000005 },
        },
        {
          model_name: 'gpt-4o-batch',
          litellm_params: {
            model: 'azure/gpt-4o-west',
            api_base: west.url,
            api_key: 'os.environ/TEST_AZURE_KEY_WEST',
            api_version: '2024-10-21',
          },
          model_info: { mode: 'batch', id: 'west', input_cost_per_token_batches: 0.00000125, output_cost_per_token_batches: 0.000005 },
        },
        {
          model_name: 'gpt-4o-mini-batch',
          litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${openai.url}/v1`, api_key: OPENAI_KEY },
          model_info: { mode: 'batch', id: 'openai-mini' },
        },
        ...(vertex ? vertexEntries(vertex, east) : []),
      ],
      // The Vertex deployments of mixed-batch name no bucket: general_settings' serves them (LiteLLM's fallback).
      general_settings: {
        master_key: MASTER_KEY,
        ...(vertex ? { gcs_bucket_name: VERTEX_BUCKET } : {}),
        ...opts.limits,
        ...opts.generalSettings,
      },
      // The pass-through routes: /azure/v1/* → the east emulator, /openai/v1/* → the OpenAI emulator.
      files_settings: [
        { custom_llm_provider: 'azure', api_base: east.url, api_key: AZURE_KEY_EAST, api_version: '2024-10-21' },
        { custom_llm_provider: 'openai', api_base: `${openai.url}/v1`, api_key: OPENAI_KEY },
      ],
    },
    {
      TEST_AZURE_KEY_EAST: AZURE_KEY_EAST,
      TEST_AZURE_KEY_WEST: AZURE_KEY_WEST,
      ...(vertex ? { TEST_VERTEX_CREDENTIALS: JSON.stringify(vertex.serviceAccountKey) } : {}),
    },
  );
  const db = await createTestDatabase(opts.db);
  const captured = opts.logger ? { logger: opts.logger, lines: [] as string[] } : captureLogs();
  const gateway = await startGateway({
    config,
    databaseUrl: db.url,
    port: opts.port ?? 0,
    grpcPort: opts.grpcPort ?? 0,
    logger: captured.logger,
    tracker: opts.tracker,
    webhook: opts.webhook,
  });
  const clientFor = (key: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
  return {
    gateway,
    url: gateway.url,
    grpcAddress: gateway.grpcAddress!,
    east,
    west,
    openai,
    vertex,
    client: clientFor(MASTER_KEY),
    clientFor,
    logs: captured.lines,
    db,
    async close() {
      await gateway.close();
      await Promise.all([east.close(), west.close(), openai.close(), vertex?.close()]);
      await db.drop();
    },
  };
}

/** A valid batch input: `n` chat-completion lines for `model`. */
export function chatJsonl(n: number, model = 'gpt-4o-batch', prefix = 'req'): string {
  return (
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        custom_id: `${prefix}-${i + 1}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model, messages: [{ role: 'user', content: `Say hello #${i + 1}` }], max_tokens: 20 },
      }),
    ).join('\n') + '\n'
  );
}
