import { Readable } from 'node:stream';
import type { LineTranslator } from '../../translation/index.js';

/**
 * The OpenAI-format output (or error) file of a finished job: each `predictions*.jsonl` object under the job's
 * output directory, streamed line by line through the translator, keeping the lines of one kind. Memory is one
 * line at a time, whatever the size of the output.
 */
export function convertedOutput(
  objects: () => Promise<AsyncIterable<Uint8Array>[]>,
  translator: LineTranslator,
  kind: 'output' | 'error',
): Readable {
  async function* lines(): AsyncGenerator<Buffer> {
    for (const object of await objects()) {
      let rest = '';
      const decoder = new TextDecoder();
      for await (const chunk of object) {
        const text = rest + decoder.decode(chunk, { stream: true });
        const parts = text.split('\n');
        rest = parts.pop() ?? '';
        const out = parts.map((l) => convert(l, translator, kind)).filter((l) => l !== null);
        if (out.length) yield Buffer.from(out.join(''));
      }
      const last = convert(rest + decoder.decode(), translator, kind);
      if (last) yield Buffer.from(last);
    }
  }
  return Readable.from(lines());
}

function convert(text: string, translator: LineTranslator, kind: 'output' | 'error'): string | null {
  if (!text.trim()) return null;
  const result = translator.fromProviderLine(text);
  return result && result.kind === kind ? JSON.stringify(result.line) + '\n' : null;
}
