import { once } from 'node:events';
import type { WriteStream } from 'node:fs';

/**
 * Gathers many small writes (line pieces) into 1 MiB buffers before they reach the file: one write call and
 * one allocation per MiB instead of several per line, which is most of the spool's cost and garbage.
 */
const SIZE = 1 << 20;

export class BufferedWriter {
  private buf = Buffer.allocUnsafe(SIZE);
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
    const full = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(SIZE); // the stream keeps `full` until written
    this.used = 0;
    await this.send(full);
  }

  private async send(chunk: Buffer): Promise<void> {
    // A stream that has failed takes no more writes and would never emit 'drain': fail instead of waiting.
    if (this.out.destroyed) throw this.out.errored ?? new Error('The spool file was closed');
    const onWritten = this.onWritten;
    const written = onWritten
      ? (err?: Error | null) => {
          if (!err) onWritten(chunk.length);
        }
      : undefined;
    if (!this.out.write(chunk, written)) await once(this.out, 'drain');
  }
}
