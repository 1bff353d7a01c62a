import { isBlankLine, splitLines } from '../jsonl/lines.js';

/** Tokens of the billed lines of one model. Cached tokens are part of input, reasoning tokens part of output. */
export interface ModelUsage {
  /** Output lines with `response.status_code` 200. */
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface OutputUsage {
  /** Keyed by `response.body.model` as the provider wrote it (e.g. `gpt-4o-2024-08-06`); '' when absent. */
  byModel: Map<string, ModelUsage>;
  total: ModelUsage;
  /** Lines read, and lines not billed: a non-200 status, no response, or not JSON at all. */
  lines: number;
  unbilledLines: number;
}

export const emptyUsage = (): ModelUsage => ({ requests: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 });

/**
 * Sums the usage of a batch output file in one streamed pass (one line in memory at a time). Only lines whose
 * `response.status_code` is 200 count (upstream-batch-apis.md §2, §7). Understands the three usage shapes:
 * - chat completions (and legacy completions): `prompt_tokens`, `completion_tokens`,
 *   `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`;
 * - responses: `input_tokens`, `output_tokens`, `input_tokens_details.cached_tokens`,
 *   `output_tokens_details.reasoning_tokens`;
 * - embeddings: `prompt_tokens` only.
 */
export async function sumOutputUsage(chunks: AsyncIterable<Uint8Array>): Promise<OutputUsage> {
  const byModel = new Map<string, ModelUsage>();
  const total = emptyUsage();
  let lines = 0;
  let unbilledLines = 0;
  for await (const raw of splitLines(chunks)) {
    if (isBlankLine(raw)) continue;
    lines++;
    const billed = billedLine(raw);
    if (!billed) {
      unbilledLines++;
      continue;
    }
    const usage = byModel.get(billed.model) ?? emptyUsage();
    byModel.set(billed.model, usage);
    for (const u of [usage, total]) {
      u.requests++;
      u.inputTokens += billed.input;
      u.cachedInputTokens += billed.cached;
      u.outputTokens += billed.output;
      u.reasoningTokens += billed.reasoning;
    }
  }
  return { byModel, total, lines, unbilledLines };
}

interface BilledLine {
  model: string;
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

function billedLine(raw: Buffer): BilledLine | null {
  let line: unknown;
  try {
    line = JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
  const response = field(line, 'response');
  if (field(response, 'status_code') !== 200) return null;
  const body = field(response, 'body');
  const model = field(body, 'model');
  const usage = field(body, 'usage');
  const responsesShape = field(usage, 'input_tokens') !== undefined || field(usage, 'output_tokens') !== undefined;
  if (responsesShape) {
    return {
      model: typeof model === 'string' ? model : '',
      input: count(field(usage, 'input_tokens')),
      cached: count(field(field(usage, 'input_tokens_details'), 'cached_tokens')),
      output: count(field(usage, 'output_tokens')),
      reasoning: count(field(field(usage, 'output_tokens_details'), 'reasoning_tokens')),
    };
  }
  return {
    model: typeof model === 'string' ? model : '',
    input: count(field(usage, 'prompt_tokens')),
    cached: count(field(field(usage, 'prompt_tokens_details'), 'cached_tokens')),
    output: count(field(usage, 'completion_tokens')),
    reasoning: count(field(field(usage, 'completion_tokens_details'), 'reasoning_tokens')),
  };
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

/** A token count as providers send it: a non-negative integer; anything else counts as 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
