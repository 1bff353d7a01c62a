/**
 * Runs a Gemini batch's requests, in Vertex's output shape: each `predictions.jsonl` line echoes `request` and
 * adds `response` (a GenerateContentResponse with `usageMetadata`) and `status` ("" on success, the error
 * otherwise). Deterministic, so tests can predict text and tokens:
 *   promptTokenCount = ceil(JSON.stringify(contents + systemInstruction).length / 4)
 *   candidatesTokenCount = 10 per candidate, or maxOutputTokens if smaller (then finishReason MAX_TOKENS)
 *   cachedContentTokenCount = 4 when there is a systemInstruction (an implicit cache hit), thoughtsTokenCount 2
 * A request whose labels hold a value starting with `fail-`, or whose text contains `[emulate_error]`, fails
 * with Vertex's INVALID_ARGUMENT status; `[emulate_safety]` gets a SAFETY-blocked candidate; a request with
 * tools and toolConfig mode ANY answers with a functionCall of its first (or first allowed) function.
 */
import { createHash } from 'node:crypto';

export interface PredictionResult {
  line: string;
  ok: boolean;
}

type Json = Record<string, unknown>;

export function predict(inputLine: string, model: string, now: Date): PredictionResult {
  let parsed: Json;
  try {
    parsed = JSON.parse(inputLine) as Json;
  } catch {
    return {
      ok: false,
      line: JSON.stringify({ status: 'Invalid JSON in the input line.', processed_time: now.toISOString(), request: inputLine }),
    };
  }
  const request = (parsed.request ?? {}) as Json;
  const processed_time = now.toISOString();
  const text = JSON.stringify(request.contents ?? '');
  const labels = Object.values((request.labels ?? {}) as Record<string, string>);
  if (!Array.isArray(request.contents) || text.includes('[emulate_error]') || labels.some((v) => String(v).startsWith('fail-'))) {
    const status =
      'Bad Request: {"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}}';
    return { ok: false, line: JSON.stringify({ status, processed_time, request }) };
  }
  const config = (request.generationConfig ?? {}) as Json;
  const prompt = Math.ceil((text.length + JSON.stringify(request.systemInstruction ?? '').length) / 4);
  const cap = typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : Infinity;
  const perCandidate = Math.min(10, cap);
  const count = typeof config.candidateCount === 'number' ? config.candidateCount : 1;
  const responseId = createHash('sha256').update(inputLine).digest('base64url').slice(0, 22);
  const candidates = Array.from({ length: count }, (_, index) => candidate(request, index, perCandidate < 10));
  const thoughts = 2;
  const cached = request.systemInstruction ? Math.min(4, prompt) : 0;
  const response = {
    candidates,
    usageMetadata: {
      promptTokenCount: prompt,
      candidatesTokenCount: perCandidate * count,
      thoughtsTokenCount: thoughts,
      totalTokenCount: prompt + perCandidate * count + thoughts,
      ...(cached ? { cachedContentTokenCount: cached } : {}),
      trafficType: 'ON_DEMAND',
    },
    modelVersion: `${model}-001`,
    createTime: processed_time,
    responseId,
  };
  return { ok: true, line: JSON.stringify({ status: '', processed_time, request, response }) };
}

function candidate(request: Json, index: number, capped: boolean): Json {
  const text = JSON.stringify(request.contents);
  if (text.includes('[emulate_safety]')) {
    return {
      index,
      finishReason: 'SAFETY',
      safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }],
    };
  }
  const calling = ((request.toolConfig as Json | undefined)?.functionCallingConfig ?? {}) as {
    mode?: string;
    allowedFunctionNames?: string[];
  };
  const declarations = ((request.tools as { functionDeclarations?: { name: string }[] }[] | undefined) ?? []).flatMap(
    (t) => t.functionDeclarations ?? [],
  );
  if (calling.mode === 'ANY' && declarations.length) {
    const name = calling.allowedFunctionNames?.[0] ?? declarations[0].name;
    return { index, content: { role: 'model', parts: [{ functionCall: { name, args: { emulated: true } } }] }, finishReason: 'STOP' };
  }
  const json = ((request.generationConfig ?? {}) as Json).responseMimeType === 'application/json';
  const reply = json ? JSON.stringify({ reply: `Emulated Gemini reply ${index}` }) : `Emulated Gemini reply ${index}.`;
  return {
    index,
    content: { role: 'model', parts: [{ text: 'Let me think.', thought: true }, { text: reply }] },
    finishReason: capped ? 'MAX_TOKENS' : 'STOP',
    avgLogprobs: -0.1,
  };
}
