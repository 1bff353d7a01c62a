import { geminiTranslator } from './gemini/translator.js';
import type { LineTranslator } from './types.js';

export type { LineTranslator, OpenAIBatchLine, OpenAIOutputLine, TranslatedResult } from './types.js';
export { UntranslatableLine } from './types.js';

/** Providers whose batch files are not OpenAI JSONL, by the provider name of config (`vertex_ai/…`). */
const translators: Record<string, LineTranslator> = {
  vertex_ai: geminiTranslator,
};

/** The translator for a provider, or null when the provider takes OpenAI's batch lines as they are. */
export function translatorFor(provider: string): LineTranslator | null {
  return translators[provider] ?? null;
}
