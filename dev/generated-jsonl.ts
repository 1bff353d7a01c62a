/**
 * A large valid batch input generated on the fly, in chunks of at most `chunkBytes`: tests and benches upload
 * hundreds of MB without holding them. Each line is about `lineBytes` long (a padded user message). It stops at
 * the first line that reaches `bytes`, or after `lines` lines.
 */
export async function* generatedJsonl(opts: {
  bytes: number;
  model: string;
  lineBytes?: number;
  chunkBytes?: number;
  prefix?: string;
  lines?: number;
}): AsyncGenerator<Buffer> {
  const lineBytes = opts.lineBytes ?? 1024;
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const pad = 'x'.repeat(Math.max(0, lineBytes - 200));
  let sent = 0;
  let n = 0;
  let parts: string[] = [];
  let size = 0;
  const maxLines = opts.lines ?? Infinity;
  while (sent + size < opts.bytes && n < maxLines) {
    const line = `${JSON.stringify({ custom_id: `${opts.prefix ?? 'r'}-${++n}`, method: 'POST', url: '/v1/chat/completions', body: { model: opts.model, messages: [{ role: 'user', content: `#${n} ${pad}` }], max_tokens: 5 } })}\n`;
    if (size + line.length > chunkBytes) {
      yield Buffer.from(parts.join(''));
      sent += size;
      parts = [];
      size = 0;
    }
    parts.push(line);
    size += line.length;
  }
  if (size) yield Buffer.from(parts.join(''));
}

/** The exact size generatedJsonl produces for these options. */
export async function generatedJsonlBytes(opts: Parameters<typeof generatedJsonl>[0]): Promise<number> {
  let total = 0;
  for await (const c of generatedJsonl(opts)) total += c.length;
  return total;
}
