import { readLayout, TERMINATOR_BYTES } from '../jsonl/layout.js';
import { splitLineBatches } from '../jsonl/lines.js';
import { BODY_MODEL_PATH, scanJsonLine } from '../jsonl/model-token.js';

const OUT_CHUNK = 64 * 1024;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The caller's upload, byte for byte, from one deployment's copy and the recorded layout (jsonl/layout.ts):
 * each copy line gets back its own model spelling and terminator, blank lines and the BOM return where they
 * were. Streamed: one copy line and one output chunk at a time.
 */
export async function* rebuildUpload(layout: AsyncIterable<Uint8Array>, copy: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const lines = copyLines(copy);
  const out = new Chunker();
  for await (const run of readLayout(layout)) {
    if (run[0] === 'bom') {
      out.push(BOM);
      continue;
    }
    const [kind, term, count, extra] = run;
    const extraBytes = Buffer.from(extra, 'latin1');
    const terminator = TERMINATOR_BYTES[term];
    if (kind === 'b') {
      yield* out.repeat(Buffer.concat([extraBytes, terminator]), count);
      continue;
    }
    for (let i = 0; i < count; i++) {
      const next = await lines.next();
      if (next.done) throw new Error('the copy has fewer lines than the upload it was made from');
      const line = next.value;
      const token = scanJsonLine(line, BODY_MODEL_PATH).token;
      if (!token) throw new Error('a line of the copy has no body.model');
      out.push(line.subarray(0, token.start), extraBytes, line.subarray(token.end), terminator);
      if (out.size >= OUT_CHUNK) yield out.take();
    }
  }
  if (out.size) yield out.take();
}

/**
 * A copy whose string at `path` is replaced, line by line, by `replace(token)` when that gives bytes (the token
 * includes its quotes); other lines pass unchanged. For output files (the deployment's model → the group) and
 * for input files uploaded before layouts were recorded.
 */
export async function* replaceTokens(
  copy: AsyncIterable<Uint8Array>,
  path: readonly string[],
  replace: (token: Buffer) => Buffer | null,
): AsyncGenerator<Buffer> {
  const out = new Chunker();
  let first = true;
  for await (const line of copyLines(copy, true)) {
    if (!first) out.push(TERMINATOR_BYTES[1]);
    first = false;
    const token = line.length ? scanJsonLine(line, path).token : null;
    const by = token ? replace(line.subarray(token.start, token.end)) : null;
    if (token && by) out.push(line.subarray(0, token.start), by, line.subarray(token.end));
    else out.push(line);
    if (out.size >= OUT_CHUNK) yield out.take();
  }
  if (out.size) yield out.take();
}

/** The copy's lines split on "\n" only (a "\r" belongs to the line). With `keepLast`, a final empty line too. */
async function* copyLines(copy: AsyncIterable<Uint8Array>, keepLast = false): AsyncGenerator<Buffer> {
  let endedWithNewline = true;
  for await (const batch of splitLineBatches(copy)) {
    for (let i = 0; i < batch.starts.length; i++) {
      const line = batch.buf.subarray(batch.starts[i], batch.ends[i]);
      for (let n = 0; n < batch.counts[i]; n++) yield line;
    }
    endedWithNewline = !batch.lastUnterminated;
  }
  if (keepLast && endedWithNewline) yield Buffer.alloc(0);
}

/** Gathers small pieces into chunks of about 64 KiB. */
class Chunker {
  private parts: Buffer[] = [];
  size = 0;

  push(...pieces: Buffer[]): void {
    for (const p of pieces) {
      if (!p.length) continue;
      this.parts.push(p);
      this.size += p.length;
    }
  }

  take(): Buffer {
    const all = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return all;
  }

  /** `count` copies of `piece`, in chunks of about 64 KiB (a run of a million blank lines stays cheap). */
  *repeat(piece: Buffer, count: number): Generator<Buffer> {
    if (!piece.length) return;
    const perChunk = Math.max(1, Math.floor(OUT_CHUNK / piece.length));
    while (count > 0) {
      const n = Math.min(count, perChunk);
      this.push(Buffer.alloc(n * piece.length, piece));
      count -= n;
      if (this.size >= OUT_CHUNK) yield this.take();
    }
  }
}
