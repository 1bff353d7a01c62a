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
 * since each write waits for 'drain'.
 */
const POOL = 3;

export class BufferedWriter {
  private readonly free: Buffer[] = [];
  private buf: Buffer = Buffer.allocUnsafe(SIZE);
  private used = 0;

  /** `onWritten`: told, in file order, as each piece reaches the file (a reader may follow it: growing-file.ts). */
  constructor(
    private readonly out: WriteStream,
    private readonly onWritten?: (bytes: number) => void,
  ) {}

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

  private async send(chunk: Buffer, reusable?: () => void): Promise<void> {
    // A stream that has failed takes no more writes and would never emit 'drain': fail instead of waiting.
    if (this.out.destroyed) throw this.out.errored ?? new Error('The spool file was closed');
    const onWritten = this.onWritten;
    const written = (err?: Error | null) => {
      if (err) return;
      onWritten?.(chunk.length);
      reusable?.();
    };
    if (!this.out.write(chunk, written)) await once(this.out, 'drain');
  }
}
