import { createHash } from 'node:crypto';
import type { OpenAIOutputLine, TranslatedResult } from '../types.js';
import { customIdFromLabels } from './custom-id-labels.js';

interface GeminiPart {
  text?: string;
  thought?: boolean;
  functionCall?: { name?: string; args?: unknown };
}
interface GeminiCandidate {
  index?: number;
  content?: { parts?: GeminiPart[] };
  finishReason?: string;
}
interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: {
    promptTokenCount?: number;
    candidatesTokenCount?: number;
    totalTokenCount?: number;
    cachedContentTokenCount?: number;
    thoughtsTokenCount?: number;
  };
  modelVersion?: string;
  responseId?: string;
  createTime?: string;
}
/** One line of a Vertex batch `predictions.jsonl`: the echoed request, the response, and `status` (an error). */
interface GeminiOutputLine {
  request?: { labels?: unknown };
  response?: GeminiResponse;
  status?: unknown;
}

/** Gemini's finish reasons (Vertex `Candidate.FinishReason`) → OpenAI's. */
const FINISH: Record<string, string> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'stop',
  OTHER: 'stop',
  FINISH_REASON_UNSPECIFIED: 'stop',
};

/** A Vertex batch output line → an OpenAI batch output line (success) or error line (failure). */
export function fromGeminiOutput(text: string): TranslatedResult | null {
  let parsed: GeminiOutputLine;
  try {
    parsed = JSON.parse(text) as GeminiOutputLine;
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const customId = customIdFromLabels(parsed.request?.labels) ?? '';
  // The same output line always gets the same ID, so re-reading the output gives identical bytes.
  const id = `batch_req_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  const status = typeof parsed.status === 'string' ? parsed.status : parsed.status ? JSON.stringify(parsed.status) : '';
  if (status || !parsed.response)
    return { kind: 'error', line: errorLine(id, customId, status || 'Vertex AI returned no response for this request') };
  return { kind: 'output', line: successLine(id, customId, parsed.response) };
}

function successLine(id: string, customId: string, r: GeminiResponse): OpenAIOutputLine {
  const requestId = r.responseId ?? id;
  const candidates = r.candidates ?? [];
  const choices = candidates.length
    ? candidates.map((c, i) => toChoice(c, c.index ?? i, requestId))
    : // The prompt itself was blocked: no candidate, only promptFeedback.
      [
        {
          index: 0,
          message: { role: 'assistant', content: null, refusal: r.promptFeedback?.blockReason ?? null },
          finish_reason: 'content_filter',
          logprobs: null,
        },
      ];
  const u = r.usageMetadata ?? {};
  const thoughts = u.thoughtsTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + thoughts; // thinking is billed as output
  const prompt = u.promptTokenCount ?? 0;
  const created = r.createTime ? Math.floor(Date.parse(r.createTime) / 1000) : NaN;
  return {
    id,
    custom_id: customId,
    response: {
      status_code: 200,
      request_id: requestId,
      body: {
        id: `chatcmpl-${requestId}`,
        object: 'chat.completion',
        created: Number.isFinite(created) ? created : 0,
        model: r.modelVersion ?? '',
        choices,
        usage: {
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: u.totalTokenCount ?? prompt + completion,
          prompt_tokens_details: { cached_tokens: u.cachedContentTokenCount ?? 0 },
          completion_tokens_details: { reasoning_tokens: thoughts },
        },
      },
    },
    error: null,
  };
}

function toChoice(c: GeminiCandidate, index: number, requestId: string) {
  const parts = c.content?.parts ?? [];
  const texts = parts.filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text);
  const calls = parts
    .filter((p) => p.functionCall)
    .map((p, j) => ({
      id: `call_${requestId}_${index}_${j}`,
      type: 'function' as const,
      function: { name: p.functionCall!.name ?? '', arguments: JSON.stringify(p.functionCall!.args ?? {}) },
    }));
  const reason = c.finishReason ?? 'STOP';
  const finish = calls.length && reason === 'STOP' ? 'tool_calls' : (FINISH[reason] ?? 'stop');
  return {
    index,
    message: {
      role: 'assistant',
      content: texts.length ? texts.join('') : null,
      refusal: null,
      ...(calls.length ? { tool_calls: calls } : {}),
    },
    finish_reason: finish,
    logprobs: null,
  };
}

/**
 * A failed line as OpenAI's error file has it: `response.status_code` from the code Vertex put in the status
 * text when there is one (`…"code": 400…`, `400 Bad Request`), else 500.
 */
function errorLine(id: string, customId: string, status: string): OpenAIOutputLine {
  const code = Number(/"code"\s*:\s*(\d{3})/.exec(status)?.[1] ?? /^\s*(\d{3})\b/.exec(status)?.[1] ?? 500);
  return {
    id,
    custom_id: customId,
    response: {
      status_code: code,
      request_id: '',
      body: { error: { message: status, type: code < 500 ? 'invalid_request_error' : 'server_error', code: 'vertex_error' } },
    },
    error: null,
  };
}
