import type { BufferedWriter } from './buffered-writer.js';
import { splitLines } from './lines.js';

/**
 * What the copies sent upstream lose of the caller's upload, so that its content can be given back byte for
 * byte from any copy: a BOM, blank lines, each line's terminator, and each line's own spelling of its
 * `body.model` token (the copies all carry a deployment's model there). Recorded as runs of identical lines,
 * one JSON array per run, so an ordinary file (one model, "\n" everywhere) is two or three short runs:
 *
 *   ["bom"]                              first, when the upload began with a UTF-8 BOM
 *   ["r", term, count, spelling]         `count` request lines, `spelling` the raw model token (quotes included)
 *   ["b", term, count, content]          `count` blank lines holding `content` (spaces, tabs, CRs)
 *
 * `term` is the line's terminator: 0 none (last line), 1 "\n", 2 "\r\n", 3 "\r" (last line). Byte strings are
 * stored as latin1 text, which maps every byte to one character and back.
 */
export type Terminator = 0 | 1 | 2 | 3;
export const TERMINATOR_BYTES: Record<Terminator, Buffer> = {
  0: Buffer.alloc(0),
  1: Buffer.from('\n'),
  2: Buffer.from('\r\n'),
  3: Buffer.from('\r'),
};

export type LayoutRun = ['bom'] | ['r' | 'b', Terminator, number, string];

export class LayoutRecorder {
  private kind: 'r' | 'b' | null = null;
  private term: Terminator = 1;
  private extra = Buffer.alloc(0);
  private count = 0;

  constructor(private readonly out: BufferedWriter) {}

  async bom(): Promise<void> {
    await this.emit(['bom']);
  }

  /** One more line like the previous one (the common case, kept synchronous): false when it is not. */
  repeat(kind: 'r' | 'b', term: Terminator, extra: Uint8Array, start: number, end: number): boolean {
    if (this.kind !== kind || this.term !== term || this.extra.length !== end - start) return false;
    if (end > start && this.extra.compare(extra, start, end) !== 0) return false;
    this.count++;
    return true;
  }

  /** One line of the upload, in order. Only call `add` again after the returned promise settles. */
  async add(kind: 'r' | 'b', term: Terminator, extra: Buffer): Promise<void> {
    if (this.repeat(kind, term, extra, 0, extra.length)) return;
    await this.finish();
    this.kind = kind;
    this.term = term;
    this.extra = Buffer.from(extra); // a copy: `extra` may be a view into a chunk we must not keep
    this.count = 1;
  }

  /** Writes the run in progress. */
  async finish(): Promise<void> {
    if (this.kind === null || this.count === 0) return;
    await this.emit([this.kind, this.term, this.count, this.extra.toString('latin1')]);
    this.count = 0;
    this.kind = null;
  }

  private async emit(run: LayoutRun): Promise<void> {
    await this.out.write(Buffer.from(JSON.stringify(run) + '\n'));
  }
}

/** The runs back from the recorded bytes, streamed. */
export async function* readLayout(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<LayoutRun> {
  for await (const line of splitLines(chunks)) {
    if (line.length) yield JSON.parse(line.toString('utf8')) as LayoutRun;
  }
}
