/**
 * Splits a byte stream into lines without ever holding more than one line plus one chunk. Lines are yielded
 * without their terminator ("\n" or "\r\n"); a final line without a newline is yielded too.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let rest: Buffer | null = null;
  for await (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    let nl = buf.indexOf(10);
    if (rest) {
      // Only the line that straddles two chunks is copied, never the whole chunk.
      if (nl === -1) {
        rest = Buffer.concat([rest, buf]);
        continue;
      }
      const line = Buffer.concat([rest, buf.subarray(0, nl)]);
      rest = null;
      yield line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line;
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    for (; nl !== -1; nl = buf.indexOf(10, start)) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      yield buf.subarray(start, end);
      start = nl + 1;
    }
    // Copy the tail so the (possibly large) chunk it came from can be collected.
    rest = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  }
  if (rest && rest.length > 0) yield rest[rest.length - 1] === 13 ? rest.subarray(0, -1) : rest;
}

/** Only spaces, tabs or a stray CR: a line JSONL readers skip (checked on bytes, before any decoding). */
export function isBlankLine(buf: Uint8Array): boolean {
  for (const b of buf) if (b !== 32 && b !== 9 && b !== 13) return false;
  return true;
}
