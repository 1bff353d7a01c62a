/**
 * The line translation layer: how a provider that does not speak OpenAI's batch JSONL (Vertex AI's Gemini today;
 * Anthropic and Bedrock next) takes our input lines and gives back OpenAI-format output lines. One translator
 * per wire format; providers use it to write and read their files, the domain uses it to refuse, at upload,
 * a line the provider could not take. It imports neither the domain nor a provider.
 */

/** One OpenAI batch input line, already checked for shape (custom_id, method, url, body.model). */
export interface OpenAIBatchLine {
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown> & { model: string };
}

/** One OpenAI batch output or error line (upstream-batch-apis.md §2). */
export interface OpenAIOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

/** What a translated provider output line is: a success for the output file or a failure for the error file. */
export interface TranslatedResult {
  kind: 'output' | 'error';
  line: OpenAIOutputLine;
}

export interface LineTranslator {
  /** Endpoints (OpenAI `url`s) this wire format can carry. */
  readonly endpoints: readonly string[];
  /**
   * The provider's line for an OpenAI line (JSON text, no newline). Throws UntranslatableLine for anything the
   * provider cannot take, so that the upload can refuse the file before a byte goes anywhere.
   */
  toProviderLine(line: OpenAIBatchLine): string;
  /** The OpenAI output line for one provider output line; null for a blank or unreadable one. */
  fromProviderLine(text: string): TranslatedResult | null;
}

/** A line a provider cannot take: `param` is the body field at fault (`body.logprobs`), for the 400 naming it. */
export class UntranslatableLine extends Error {
  override name = 'UntranslatableLine';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}
