/**
 * The deployments' copies of a spooled template (spool.ts): the template's bytes with its model placeholder
 * replaced by each deployment's model. Deployments that share a model (a group load-balanced over several keys
 * or regions of one model, the usual case) get the very same bytes, so each distinct copy is made once and its
 * chunks go to every deployment that takes it: with two such deployments, half the copying and searching.
 */

/**
 * A shared copy's chunks stay until every reader has taken them, but not past this many bytes behind the newest:
 * a reader further behind (a slow deployment) makes the rest of its copy alone. More than the 8 MiB a
 * stream-through copy finds waiting when it starts (stream-through.ts), which its first reader takes in a burst
 * before the second one's connection is ready.
 */
const MAX_KEPT_BYTES = 12 * 1024 * 1024;

/** The template's bytes from `from` (always the start of a line) on, in order. */
export type OpenTemplate = (from: number) => AsyncIterable<Buffer>;

export class TemplateCopies {
  private readonly shared = new Map<string, SharedCopy>();

  constructor(
    private readonly open: OpenTemplate,
    private readonly placeholderJson: string,
  ) {}

  /**
   * The copy for a deployment whose model is `model`, from the start; call once per upload attempt. The reader
   * counts from this call on (the copy's chunks wait for it), not from its first read: call it for every
   * deployment before the first one reads, and they all share from the first chunk.
   */
  read(model: string): AsyncIterable<Uint8Array> {
    const to = JSON.stringify(model);
    let copy = this.shared.get(to);
    if (!copy) {
      const made = new SharedCopy(this.open, Buffer.from(this.placeholderJson), Buffer.from(to), () => {
        if (this.shared.get(to) === made) this.shared.delete(to);
      });
      copy = made;
      this.shared.set(to, copy);
    }
    return copy.reader();
  }
}

interface Reader {
  /** The next chunk it takes. */
  next: number;
}

/**
 * One copy, made once (its chunks pulled by whichever reader is ahead) and read by several. A chunk stays until
 * every reader has taken it or MAX_KEPT_BYTES newer bytes have been made: a reader that needs a chunk already
 * let go (a slow deployment, a retry from the start) makes the rest of its copy alone, from the template, where
 * that chunk began. When its last reader leaves, the copy is closed (`closed` is told, and a later
 * reader gets a new one).
 */
class SharedCopy {
  private readonly chunks: (Buffer | null)[] = [];
  /** Where in the template each chunk ends: a reader left behind starts there (a line's start). */
  private readonly ends: number[] = [];
  private readonly readers = new Set<Reader>();
  private source: AsyncGenerator<{ out: Buffer; inputEnd: number }> | null = null;
  private pulling: Promise<void> | null = null;
  private done = false;
  private failure: { reason: unknown } | null = null;
  private oldestKept = 0;
  private keptBytes = 0;

  constructor(
    private readonly open: OpenTemplate,
    private readonly needle: Buffer,
    private readonly replacement: Buffer,
    private readonly closed: () => void,
  ) {}

  /** A reader, counted from now on (see TemplateCopies.read). */
  reader(): AsyncIterable<Uint8Array> {
    const me: Reader = { next: 0 };
    this.readers.add(me);
    return { [Symbol.asyncIterator]: () => this.iterate(me) };
  }

  private async *iterate(me: Reader): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        if (me.next < this.chunks.length) {
          const chunk = this.chunks[me.next];
          if (chunk === null) break; // let go: carry on alone below
          me.next++;
          this.letGo();
          yield chunk;
          continue;
        }
        if (this.failure) throw this.failure.reason;
        if (this.done) return;
        await this.pull();
      }
    } finally {
      this.readers.delete(me);
      if (this.readers.size === 0) this.close();
      else this.letGo();
    }
    const from = me.next === 0 ? 0 : this.ends[me.next - 1];
    for await (const { out } of substitute(this.open(from), this.needle, this.replacement)) yield out;
  }

  /** One more chunk from the template, however many readers ask for it at once. */
  private pull(): Promise<void> {
    this.pulling ??= (async () => {
      try {
        this.source ??= substitute(this.open(0), this.needle, this.replacement);
        const next = await this.source.next();
        if (next.done) this.done = true;
        else {
          this.chunks.push(next.value.out);
          this.keptBytes += next.value.out.length;
          this.ends.push(next.value.inputEnd);
          this.letGo();
        }
      } catch (reason) {
        this.failure = { reason };
      } finally {
        this.pulling = null;
      }
    })();
    return this.pulling;
  }

  /** Drops the chunks every reader has taken, and the oldest past MAX_KEPT_BYTES. */
  private letGo(): void {
    let slowest = this.chunks.length;
    for (const reader of this.readers) slowest = Math.min(slowest, reader.next);
    const chunks = this.chunks;
    while (this.oldestKept < chunks.length && (this.oldestKept < slowest || this.keptBytes > MAX_KEPT_BYTES)) {
      this.keptBytes -= chunks[this.oldestKept]!.length;
      chunks[this.oldestKept++] = null;
    }
  }

  /**
   * Nobody reads it any more: its chunks go, and its template reader is ended (which closes a file it had open).
   * A copy read whole before the upload's copies start (check-translatable.ts reads one) keeps nothing for them.
   */
  private close(): void {
    this.done = true;
    this.chunks.fill(null);
    this.oldestKept = this.chunks.length;
    this.keptBytes = 0;
    this.closed();
    void this.source?.return(undefined).catch(() => undefined);
  }
}

/**
 * Replaces the placeholder line by line; a line (and so a placeholder) is never split across two outputs. Each
 * output comes with where in the input it ends (a line's end), so that another reader can start there.
 * Works on bytes, never on strings: megabyte strings would land in V8's large-object space and stay there
 * until a full GC, so a 300 MB upload would grow the heap by far more than it holds. The input chunks must be
 * the caller's own: they are changed in place.
 */
export async function* substitute(
  chunks: AsyncIterable<Buffer>,
  needle: Buffer,
  replacement: Buffer,
): AsyncGenerator<{ out: Buffer; inputEnd: number }> {
  let rest: Buffer | null = null;
  /** Input bytes before the current chunk. */
  let seen = 0;
  for await (const chunk of chunks) {
    let buf = chunk;
    let at = seen;
    seen += chunk.length;
    if (rest) {
      // Only the line that straddles two chunks is copied, never the whole chunk.
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        rest = Buffer.concat([rest, chunk]);
        continue;
      }
      yield { out: replaceAll(Buffer.concat([rest, chunk.subarray(0, nl + 1)]), needle, replacement), inputEnd: at + nl + 1 };
      buf = chunk.subarray(nl + 1);
      at += nl + 1;
      rest = null;
    }
    const cut = buf.lastIndexOf(10) + 1;
    rest = cut < buf.length ? Buffer.from(buf.subarray(cut)) : null;
    if (cut > 0) yield { out: replaceAll(buf.subarray(0, cut), needle, replacement), inputEnd: at + cut };
  }
  if (rest?.length) yield { out: replaceAll(rest, needle, replacement), inputEnd: seen };
}

/**
 * Every `needle` in `buf` replaced. `buf` is the caller's own (a chunk just read, or a copy): when the
 * replacement is no longer than the needle (the placeholder is 43 bytes, longer than most model names) the
 * bytes are moved down in place, which saves allocating and filling a second buffer for every chunk of every
 * copy (that copy and its page faults were the upload's top frame in the profile).
 */
function replaceAll(buf: Buffer, needle: Buffer, replacement: Buffer): Buffer {
  if (replacement.length <= needle.length) {
    let write = 0;
    let start = 0;
    for (let at = buf.indexOf(needle); at !== -1; at = buf.indexOf(needle, start)) {
      if (write !== start) buf.copyWithin(write, start, at);
      write += at - start;
      write += replacement.copy(buf, write);
      start = at + needle.length;
    }
    if (start === 0) return buf;
    if (write !== start) buf.copyWithin(write, start);
    return buf.subarray(0, write + buf.length - start);
  }
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = buf.indexOf(needle); at !== -1; at = buf.indexOf(needle, start)) {
    parts.push(buf.subarray(start, at), replacement);
    start = at + needle.length;
  }
  parts.push(buf.subarray(start));
  return Buffer.concat(parts);
}
