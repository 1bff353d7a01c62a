import type { LineTranslator } from '../types.js';
import { toGeminiRequest } from './translate-request.js';
import { fromGeminiOutput } from './translate-response.js';

/** Vertex AI batch prediction for Gemini models: `{"request": GenerateContentRequest}` lines. */
export const geminiTranslator: LineTranslator = {
  endpoints: ['/v1/chat/completions'],
  toProviderLine: (line) => JSON.stringify(toGeminiRequest(line)),
  fromProviderLine: fromGeminiOutput,
};
