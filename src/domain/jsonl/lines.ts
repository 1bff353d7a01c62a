/**
 * Splits a byte stream into lines without ever holding more than one line plus one chunk (splitLineBatches,
 * one line at a time). Lines are yielded without their terminator ("\n" or "\r\n"); a final line without a
 * newline is yielded too.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const { buf, starts, ends, counts } of splitLineBatches(chunks)) {
    for (let k = 0; k < starts.length; k++) {
      const end = ends[k] > starts[k] && buf[ends[k] - 1] === 13 ? ends[k] - 1 : ends[k];
      // A run of empty lines is one entry of the batch; each of its lines is yielded.
      for (let n = 0; n < counts[k]; n++) yield buf.subarray(starts[k], end);
    }
  }
}

/** Only spaces, tabs or a stray CR: a line JSONL readers skip (checked on bytes, before any decoding). */
export function isBlankLine(buf: Uint8Array, start = 0, end = buf.length): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b !== 32 && b !== 9 && b !== 13) return false;
  }
  return true;
}

/**
 * The lines of one chunk as offsets into it (no Buffer per line): line k is `buf[starts[k], ends[k])`, without
 * its "\n" but with any "\r" before it (the caller keeps the layout).
 */
export interface LineBatch {
  buf: Buffer;
  starts: number[];
  ends: number[];
  /** How many lines entry k stands for: more than 1 only for a run of empty "\n"-terminated lines. */
  counts: number[];
  /** The last line of the stream had no "\n" (only ever set on the final batch). */
  lastUnterminated: boolean;
}

/**
 * Like splitLines, but one batch per chunk: a consumer loops over a chunk's lines synchronously and slices out
 * only the lines it needs, so a file of millions of short (or blank) lines costs one await per chunk.
 */
export async function* splitLineBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<LineBatch> {
  let rest: Buffer | null = null;
  for await (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    let nl = buf.indexOf(10);
    if (rest) {
      if (nl === -1) {
        rest = Buffer.concat([rest, buf]);
        continue;
      }
      // Only the line that straddles two chunks is copied, never the whole chunk.
      const line = Buffer.concat([rest, buf.subarray(0, nl)]);
      rest = null;
      yield { buf: line, starts: [0], ends: [line.length], counts: [1], lastUnterminated: false };
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    const starts: number[] = [];
    const ends: number[] = [];
    const counts: number[] = [];
    for (; nl !== -1; nl = buf.indexOf(10, start)) {
      let n = 1;
      if (nl === start) while (nl + n < buf.length && buf[nl + n] === 10) n++; // a run of empty lines: one entry
      starts.push(start);
      ends.push(nl);
      counts.push(n);
      start = nl + n;
    }
    // Copy the tail so the (possibly large) chunk it came from can be collected.
    rest = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
    if (starts.length) yield { buf, starts, ends, counts, lastUnterminated: false };
  }
  if (rest && rest.length > 0) yield { buf: rest, starts: [0], ends: [rest.length], counts: [1], lastUnterminated: true };
}

/** Gives the event loop a turn (health checks, other uploads) when a CPU-bound pass has held it for a while. */
export class EventLoopYielder {
  private last = performance.now();
  constructor(private readonly everyMs = 10) {}

  async maybeYield(): Promise<void> {
    if (performance.now() - this.last < this.everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
