import { describe, expect, it } from 'vitest';
import { convertedOutput } from '../../src/providers/vertex/output-lines.js';
import { splitJsonLines } from '../../src/providers/vertex/split-lines.js';
import { translatorFor } from '../../src/translation/index.js';

const gemini = translatorFor('vertex_ai')!;
const ok = (id: string) =>
  JSON.stringify({
    status: '',
    request: { labels: { sluice_custom_id: id } },
    response: {
      candidates: [{ content: { parts: [{ text: `ünï ${id}` }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 2, totalTokenCount: 3 },
    },
  });
const bad = (id: string) => JSON.stringify({ status: 'Internal error', request: { labels: { sluice_custom_id: id } } });

/** Splits bytes into chunks of `size`, so lines (and multi-byte characters) straddle chunk boundaries. */
async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

describe('Vertex output streamed back as OpenAI lines', () => {
  const fileA = `${ok('a')}\n${bad('b')}\n\n${ok('c')}`; // no final newline
  const fileB = `${ok('d')}\n`;
  for (const size of [1, 7, 64, 100_000]) {
    it(`keeps each kind in order across files, whatever the chunking (${size} bytes)`, async () => {
      const objects = async () => [chunks(fileA, size), chunks(fileB, size)];
      const out = (await read(convertedOutput(objects, gemini, 'output')))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(out.map((l) => l.custom_id)).toEqual(['a', 'c', 'd']);
      expect(out[0].response.body.choices[0].message.content).toBe('ünï a');
      const errors = (await read(convertedOutput(async () => [chunks(fileA, size), chunks(fileB, size)], gemini, 'error')))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(errors.map((l) => [l.custom_id, l.response.status_code])).toEqual([['b', 500]]);
    });
  }

  it('splitJsonLines groups non-blank lines per chunk and keeps a line split across chunks whole', async () => {
    const groups: string[][] = [];
    for await (const g of splitJsonLines(chunks('{"a":1}\n\n{"b":"é"}\n{"c":3}', 5))) groups.push(g);
    expect(groups.flat()).toEqual(['{"a":1}', '{"b":"é"}', '{"c":3}']);
  });
});
