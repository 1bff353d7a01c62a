import type { Deployment } from '../../config/types.js';

/** USD per token at batch rates. `cachedInput` absent: cached input tokens cost the full input rate. */
export interface TokenPrice {
  input: number;
  cachedInput?: number;
  output: number;
}

export interface ResolvedPrice extends TokenPrice {
  /** `config`: the deployment's `*_cost_per_token_batches`; `table`: BATCH_PRICES; `none`: unknown, billed at 0. */
  source: 'config' | 'table' | 'none';
}

const perMillion = (input: number, output: number, cachedInput?: number): TokenPrice => ({
  input: input / 1e6,
  output: output / 1e6,
  ...(cachedInput === undefined ? {} : { cachedInput: cachedInput / 1e6 }),
});

/**
 * Batch prices (USD per 1M tokens) of Gemini models on Vertex AI: the "Batch" rates of Google Cloud's Vertex AI
 * generative AI pricing page (https://cloud.google.com/vertex-ai/generative-ai/pricing, as of 2025-09), i.e.
 * 50 % of the standard text rates for prompts up to 200k tokens. Cached input: the 90 % context-cache discount
 * does not stack with the batch discount; cached tokens cost the cache rate instead (upstream-batch-apis.md §7),
 * which is 10 % of the standard input rate. Output includes thinking tokens, billed at the output rate.
 * Keys match `modelVersion` in Vertex's output (`gemini-2.5-flash`, or a dated `gemini-2.0-flash-001`).
 */
const GEMINI_BATCH_PRICES: Record<string, TokenPrice> = {
  'gemini-2.5-pro': perMillion(0.625, 5.0, 0.125),
  'gemini-2.5-flash': perMillion(0.15, 1.25, 0.03),
  'gemini-2.5-flash-lite': perMillion(0.05, 0.2, 0.01),
  'gemini-2.0-flash': perMillion(0.075, 0.3, 0.015),
  'gemini-2.0-flash-lite': perMillion(0.0375, 0.15),
};

/**
 * Batch prices (USD per 1M tokens) of current OpenAI models: the "Batch" column of OpenAI's API pricing page
 * (https://openai.com/api/pricing, as of 2025-08), i.e. 50 % of the standard rates; gpt-4o agrees with LiteLLM's
 * model_prices_and_context_window.json (`input_cost_per_token_batches` 1.25e-6, output 5e-6). Azure's Global Batch
 * is "50 % less than Global Standard" (upstream-batch-apis.md §7), and Global Standard lists the same prices, so
 * one table serves both. Cached input is listed only where that page gives a batch rate for it (the gpt-5
 * family); elsewhere cached tokens are billed at the input rate, an upper bound.
 *
 * Keys are model names as they appear in output lines' `body.model`; a dated snapshot (`gpt-4o-2024-08-06`)
 * matches its longest listed prefix. A deployment's own `input/output_cost_per_token_batches` always wins.
 */
export const BATCH_PRICES: Record<string, TokenPrice> = {
  'gpt-5': perMillion(0.625, 5.0, 0.0625),
  'gpt-5-mini': perMillion(0.125, 1.0, 0.0125),
  'gpt-5-nano': perMillion(0.025, 0.2, 0.0025),
  'gpt-4.1': perMillion(1.0, 4.0),
  'gpt-4.1-mini': perMillion(0.2, 0.8),
  'gpt-4.1-nano': perMillion(0.05, 0.2),
  'gpt-4o': perMillion(1.25, 5.0),
  'gpt-4o-2024-05-13': perMillion(2.5, 7.5),
  'gpt-4o-mini': perMillion(0.075, 0.3),
  o1: perMillion(7.5, 30.0),
  'o1-mini': perMillion(0.55, 2.2),
  o3: perMillion(1.0, 4.0),
  'o3-mini': perMillion(0.55, 2.2),
  'o4-mini': perMillion(0.55, 2.2),
  'gpt-4-turbo': perMillion(5.0, 15.0),
  'gpt-4': perMillion(15.0, 30.0),
  'gpt-3.5-turbo': perMillion(0.25, 0.75),
  'text-embedding-3-small': perMillion(0.01, 0),
  'text-embedding-3-large': perMillion(0.065, 0),
  'text-embedding-ada-002': perMillion(0.05, 0),
  ...GEMINI_BATCH_PRICES,
};

const KEYS_LONGEST_FIRST = Object.keys(BATCH_PRICES).sort((a, b) => b.length - a.length);

/** The table entry for a model name: exact, else the longest key followed by `-` (dated snapshots). */
export function tablePrice(model: string): TokenPrice | undefined {
  const name = model.toLowerCase();
  const exact = BATCH_PRICES[name];
  if (exact) return exact;
  const key = KEYS_LONGEST_FIRST.find((k) => name.startsWith(`${k}-`));
  return key ? BATCH_PRICES[key] : undefined;
}

/**
 * What one token costs on this deployment for this model: the deployment's configured batch prices (each one
 * configured wins on its own), else the table, else 0 (`source: 'none'`; the caller logs it).
 */
export function resolvePrice(deployment: Deployment | undefined, model: string): ResolvedPrice {
  const configured = { input: deployment?.inputCostPerTokenBatches, output: deployment?.outputCostPerTokenBatches };
  const table = tablePrice(model) ?? (deployment ? tablePrice(deployment.model) : undefined);
  if (configured.input !== undefined || configured.output !== undefined) {
    return {
      input: configured.input ?? table?.input ?? 0,
      output: configured.output ?? table?.output ?? 0,
      source: 'config',
    };
  }
  if (table) return { ...table, source: 'table' };
  return { input: 0, output: 0, source: 'none' };
}
