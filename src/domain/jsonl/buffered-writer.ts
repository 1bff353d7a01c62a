import { once } from 'node:events';
import type { WriteStream } from 'node:fs';

/**
 * Gathers many small writes (line pieces) into 1 MiB buffers before they reach the file: one write call and
 * one allocation per MiB instead of several per line, which is most of the spool's cost and garbage.
 */
const SIZE = 1 << 20;

/**
 * Buffers whose write has completed are used again. A fresh 1 MiB buffer is fresh memory (glibc maps it anew:
 * `MALLOC_MMAP_THRESHOLD_`, see package.json), and its first touch page-faults 256 times: that was the top frame
 * of the upload profile (`_copyActual` under `write`, 22 % of the upload's CPU). At most a couple are in flight,
 * since each write waits for 'drain', and a follower (growing-file.ts) holds up to twelve more.
 */
const POOL = 14;

/**
 * Told, in file order, as each piece reaches the file. `chunk` is the piece itself when it is one of the writer's
 * own buffers: the follower may keep it (and read it instead of the disk) until it calls `release`, after which
 * the writer fills it again.
 */
export type OnWritten = (bytes: number, chunk?: Buffer, release?: () => void) => void;

export class BufferedWriter {
  private readonly free: Buffer[] = [];
  private buf: Buffer = Buffer.allocUnsafe(SIZE);
  private used = 0;

  constructor(
    private readonly out: WriteStream,
    private readonly onWritten?: OnWritten,
  ) {}

  /** Whether `bytes` more fit in the buffer now, so that `put` may take them without waiting. */
  hasRoom(bytes: number): boolean {
    return this.used + bytes <= this.buf.length;
  }

  /**
   * `src[start, end)` copied in; only after `hasRoom` said yes. The spool writes four pieces per line: awaiting
   * `write` for each was a promise and a turn of the microtask queue per piece, 200,000 per 200 MB upload.
   */
  put(src: Buffer, start = 0, end = src.length): void {
    this.used += src.copy(this.buf, this.used, start, end);
  }

  async write(piece: Buffer): Promise<void> {
    if (this.used + piece.length > this.buf.length) await this.flush();
    if (piece.length > this.buf.length) {
      await this.send(piece);
      return;
    }
    piece.copy(this.buf, this.used);
    this.used += piece.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.buf;
    const length = this.used;
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(SIZE); // the stream keeps `full` until written
    this.used = 0;
    await this.send(full.subarray(0, length), () => {
      if (this.free.length < POOL) this.free.push(full);
    });
  }

  /** `reusable`: the buffer behind `chunk` is the writer's own, to be filled again once written (and released). */
  private async send(chunk: Buffer, reusable?: () => void): Promise<void> {
    // A stream that has failed takes no more writes and would never emit 'drain': fail instead of waiting.
    if (this.out.destroyed) throw this.out.errored ?? new Error('The spool file was closed');
    const onWritten = this.onWritten;
    const written = (err?: Error | null) => {
      if (err) return;
      if (!onWritten) reusable?.();
      // A piece that is not ours (a line longer than the buffer) is not offered: it may be a whole large line.
      else if (reusable) onWritten(chunk.length, chunk, reusable);
      else onWritten(chunk.length);
    };
    if (!this.out.write(chunk, written)) await once(this.out, 'drain');
  }
}
