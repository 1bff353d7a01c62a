import { open, type FileHandle } from 'node:fs/promises';

/**
 * Below glibc's mmap threshold (128 KiB, MALLOC_MMAP_THRESHOLD_ in package.json): each read needs a fresh buffer
 * (see read), and a larger one was fresh mapped memory that page-faulted as the read filled it (under the
 * profiler, 3 × 200 MB over REST: 5.2 s busy with 256 KiB reads, 4.7 s with 64 KiB ones). Each piece becomes
 * one socket write upstream: 120 KiB makes about half as many as 64 KiB did.
 */
const READ_BYTES = 120 * 1024;

/**
 * At most this many of the last written chunks (each one of the writer's 1 MiB buffers) are kept for readers to
 * take from memory. Enough for the copies to start from memory: they start once 8 MiB have arrived
 * (stream-through.ts), so the file's first chunks must still be here then.
 */
const MAX_KEPT_CHUNKS = 12;

interface KeptChunk {
  /** Where the chunk sits in the file. */
  at: number;
  bytes: Buffer;
  /** Gives the buffer back to its writer once no reader can take it any more. */
  release?: () => void;
}

/**
 * A spool file that readers follow while it is still being written (`tail -f`), for the stream-through upload:
 * a copy goes upstream as the lines pass validation, so memory stays the same whatever the size and a slow copy
 * only lets the file on disk run ahead of it.
 *
 * Readers get only bytes the writer has on disk (`grew` is called from the write callbacks, in file order) and
 * end only once the file is `released`: until then the END of every copy is held back, so an upstream never
 * sees a whole file before the gateway has accepted it. `fail` makes every reader throw at its next step, which
 * cuts its upload off mid-body.
 *
 * The last few chunks written are also kept in memory, and a reader that keeps up (the usual case: copies go
 * out as fast as lines are validated) takes its bytes from there; only one that falls further behind reads the
 * disk. Reading every copy back from the disk was the upload's third-largest cost (profile: `read` 11.5 % of
 * the upload's CPU).
 */
export class GrowingFile {
  private durable = 0;
  private released = false;
  private failure: Error | null = null;
  private wake: (() => void)[] = [];
  private readonly kept: KeptChunk[] = [];
  private keeping = true;
  /** Where each reader is: a chunk every reader has passed is let go. */
  private readonly readers = new Set<{ at: number }>();
  path: string | null = null;

  /**
   * The writer has `bytes` more on disk. `chunk`: those very bytes, which readers may take from memory while
   * some reader may still want them (and MAX_KEPT_CHUNKS newer ones have not come); `release` is then called,
   * and the writer may fill the buffer again.
   */
  grew(bytes: number, chunk?: Buffer, release?: () => void): void {
    if (chunk && this.keeping) {
      this.kept.push({ at: this.durable, bytes: chunk, release });
      this.trim();
    } else {
      release?.();
      this.forget(); // readers past this point must use the disk, and they do: no kept chunk holds it
    }
    this.durable += bytes;
    this.notify();
  }

  /** Nobody will follow the file as it grows (the upload is not streamed through): keep nothing in memory. */
  stopKeeping(): void {
    this.keeping = false;
    this.forget();
  }

  /** Every byte is on disk and the file has been accepted: readers may end. */
  release(): void {
    this.released = true;
    this.notify();
  }

  /** The file will never be accepted: readers throw `err` (the first reason wins). */
  fail(err: Error): void {
    this.failure ??= err;
    this.forget();
    this.notify();
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** The bytes from `from` on, as they reach the disk; each chunk is the reader's own (it may change it). */
  async *read(from = 0): AsyncGenerator<Buffer> {
    const path = this.path;
    if (!path) throw new Error('GrowingFile read before its file exists');
    let file: FileHandle | null = null;
    const reader = { at: from };
    this.readers.add(reader);
    try {
      for (;;) {
        if (this.failure) throw this.failure;
        const at = reader.at;
        if (at < this.durable) {
          // A fresh buffer each time: the HTTP client may still hold the last one in its socket queue.
          const fromMemory = this.copyKept(at);
          if (fromMemory) {
            reader.at += fromMemory.length;
            yield fromMemory;
            continue;
          }
          // Opened only once a write has completed: the writer's stream opens the file asynchronously, so before
          // that it may not exist yet (a reader that started first got ENOENT). A failed upload's folder may be
          // gone by the time this runs: its reason is then the error, not the missing file.
          file ??= await open(path, 'r').catch((err: unknown) => {
            throw this.failure ?? err;
          });
          const want = Math.min(READ_BYTES, this.durable - at);
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await file.read(buf, 0, want, at);
          if (bytesRead === 0) throw new Error('spool file shorter than written');
          reader.at += bytesRead;
          yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
          continue;
        }
        if (this.released) return;
        await new Promise<void>((resolve) => this.wake.push(resolve));
      }
    } finally {
      this.readers.delete(reader);
      await file?.close();
    }
  }

  /**
   * About READ_BYTES from `at` out of a kept chunk, copied (the writer reuses its buffers, and the reader's
   * consumer may change what it gets: copies.ts substitutes the model in place); null when no kept chunk holds
   * `at`. The piece ends at the end of a line where it can (the spool's writer ends its chunks with a line): a
   * copy then never has a line split across two pieces, which it would send as a write of its own.
   */
  private copyKept(at: number): Buffer | null {
    const kept = this.kept;
    if (kept.length === 0 || at < kept[0].at) return null;
    for (let i = kept.length - 1; i >= 0; i--) {
      const chunk = kept[i];
      if (at < chunk.at) continue;
      const bytes = chunk.bytes;
      const from = at - chunk.at;
      if (from >= bytes.length) return null;
      let end = bytes.length;
      if (end - from > READ_BYTES) {
        const lineEnd = bytes.lastIndexOf(10, from + READ_BYTES - 1) + 1;
        end = lineEnd > from ? lineEnd : from + READ_BYTES;
      }
      const copy = Buffer.allocUnsafe(end - from);
      bytes.copy(copy, 0, from, end);
      return copy;
    }
    return null;
  }

  /** Lets go of the chunks every reader has passed, and of the oldest past MAX_KEPT_CHUNKS. */
  private trim(): void {
    const kept = this.kept;
    let slowest = Number.POSITIVE_INFINITY;
    for (const reader of this.readers) slowest = Math.min(slowest, reader.at);
    const passed = (chunk: KeptChunk) => this.readers.size > 0 && chunk.at + chunk.bytes.length <= slowest;
    while (kept.length > 0 && (kept.length > MAX_KEPT_CHUNKS || passed(kept[0]))) kept.shift()!.release?.();
  }

  private forget(): void {
    for (const chunk of this.kept.splice(0)) chunk.release?.();
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }
}
