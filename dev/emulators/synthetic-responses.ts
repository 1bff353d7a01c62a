/**
 * Made-up but well-formed response bodies for each batch endpoint. Token
 * counts are deterministic so tests can predict usage and cost:
 *   input  = ceil(JSON.stringify(<prompt part of the body>).length / 4)
 *   output = 10, or the request's output-token cap if that is smaller.
 */
import { createHash } from 'node:crypto';
import { hex } from './ids.js';
import type { InputLine } from './input-validation.js';

export interface LineUsage {
  input: number;
  output: number;
}

export interface SyntheticResponse {
  body: Record<string, unknown>;
  usage: LineUsage;
}

const DEFAULT_OUTPUT_TOKENS = 10;

export function estimateTokens(value: unknown): number {
  return Math.ceil((JSON.stringify(value ?? '') ?? '').length / 4);
}

function outputTokens(body: Record<string, unknown>, ...capKeys: string[]): number {
  let tokens = DEFAULT_OUTPUT_TOKENS;
  for (const key of capKeys) {
    const cap = body[key];
    if (typeof cap === 'number' && Number.isFinite(cap) && cap >= 0) tokens = Math.min(tokens, Math.floor(cap));
  }
  return tokens;
}

const replyText = (line: InputLine): string => `Emulated reply to ${line.custom_id}.`;

/** A fixed pseudo-embedding derived from the input, so equal inputs embed equally. */
function pseudoEmbedding(input: unknown, dimensions: number): number[] {
  const digest = createHash('sha256')
    .update(JSON.stringify(input ?? ''))
    .digest();
  return Array.from({ length: dimensions }, (_, i) => Number(((digest[i % digest.length]! / 255) * 2 - 1).toFixed(6)));
}

function chatCompletion(line: InputLine, model: string, created: number): SyntheticResponse {
  const input = estimateTokens(line.body['messages']);
  const output = outputTokens(line.body, 'max_tokens', 'max_completion_tokens');
  return {
    usage: { input, output },
    body: {
      id: `chatcmpl-${hex(24)}`,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: replyText(line), refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: output < DEFAULT_OUTPUT_TOKENS ? 'length' : 'stop',
        },
      ],
      usage: {
        prompt_tokens: input,
        completion_tokens: output,
        total_tokens: input + output,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_emulator',
    },
  };
}

function response(line: InputLine, model: string, created: number): SyntheticResponse {
  const input = estimateTokens(line.body['input']);
  const output = outputTokens(line.body, 'max_output_tokens');
  const truncated = output < DEFAULT_OUTPUT_TOKENS;
  return {
    usage: { input, output },
    body: {
      id: `resp_${hex(48)}`,
      object: 'response',
      created_at: created,
      status: truncated ? 'incomplete' : 'completed',
      error: null,
      incomplete_details: truncated ? { reason: 'max_output_tokens' } : null,
      model,
      output: [
        {
          type: 'message',
          id: `msg_${hex(48)}`,
          status: truncated ? 'incomplete' : 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: replyText(line), annotations: [] }],
        },
      ],
      usage: {
        input_tokens: input,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: output,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input + output,
      },
    },
  };
}

function embeddings(line: InputLine, model: string): SyntheticResponse {
  const rawInput = line.body['input'];
  const inputs: unknown[] = Array.isArray(rawInput) && typeof rawInput[0] !== 'number' ? rawInput : [rawInput];
  const requested = line.body['dimensions'];
  const dimensions = typeof requested === 'number' && requested > 0 ? Math.min(Math.floor(requested), 64) : 8;
  const input = estimateTokens(rawInput);
  return {
    usage: { input, output: 0 },
    body: {
      object: 'list',
      data: inputs.map((item, index) => ({ object: 'embedding', index, embedding: pseudoEmbedding(item, dimensions) })),
      model,
      usage: { prompt_tokens: input, total_tokens: input },
    },
  };
}

function completion(line: InputLine, model: string, created: number): SyntheticResponse {
  const input = estimateTokens(line.body['prompt']);
  const output = outputTokens(line.body, 'max_tokens');
  return {
    usage: { input, output },
    body: {
      id: `cmpl-${hex(24)}`,
      object: 'text_completion',
      created,
      model,
      choices: [{ text: replyText(line), index: 0, logprobs: null, finish_reason: output < DEFAULT_OUTPUT_TOKENS ? 'length' : 'stop' }],
      usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
    },
  };
}

function moderation(line: InputLine, model: string): SyntheticResponse {
  return {
    usage: { input: 0, output: 0 },
    body: { id: `modr-${hex(24)}`, model, results: [{ flagged: false, categories: {}, category_scores: {} }] },
  };
}

/** The body a successful request to `endpoint` would have returned. */
export function syntheticResponse(line: InputLine, endpoint: string, created: number): SyntheticResponse {
  const model = typeof line.body['model'] === 'string' ? line.body['model'] : 'unknown';
  const path = endpoint.startsWith('/v1/') ? endpoint.slice(3) : endpoint;
  switch (path) {
    case '/chat/completions':
      return chatCompletion(line, model, created);
    case '/responses':
      return response(line, model, created);
    case '/embeddings':
      return embeddings(line, model);
    case '/completions':
      return completion(line, model, created);
    case '/moderations':
      return moderation(line, model);
    default:
      // Images/videos: nothing in sluice reads these bodies; a token-free stub will do.
      return { usage: { input: 0, output: 0 }, body: { created, model, data: [] } };
  }
}
