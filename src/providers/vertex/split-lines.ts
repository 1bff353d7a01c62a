/**
 * Groups a byte stream into its non-blank lines (as strings), one array per chunk, so a converter can work a
 * chunk at a time; a line split across chunks is carried over.
 */
export async function* splitJsonLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of chunks) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = parts.pop() ?? '';
    const lines = parts.filter((l) => l.trim());
    if (lines.length) yield lines;
  }
  const last = rest + decoder.decode();
  if (last.trim()) yield [last];
}
