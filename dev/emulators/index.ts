/**
 * Stateful HTTP emulators of the OpenAI and Azure OpenAI Files + Batches APIs,
 * the only stand-ins for upstream providers in sluice's end-to-end tests.
 *
 *   const openai = await startOpenAIEmulator();   // base URL: openai.url + '/v1'
 *   const azure = await startAzureEmulator({ deployments: ['gpt-4o-mini'] }); // endpoint: azure.url
 *   ...
 *   await openai.close();
 */
export { startOpenAIEmulator } from './openai.js';
export { startAzureEmulator } from './azure.js';
export { startVertexEmulator, type VertexEmulator, type VertexEmulatorOptions } from './vertex/index.js';
export type {
  BatchError,
  BatchStatus,
  BatchUsage,
  EmulatedBatch,
  EmulatedFile,
  EmulatorOptions,
  EmulatorTiming,
  Fault,
  FilePurpose,
  ProviderEmulator,
  RecordedRequest,
} from './types.js';
