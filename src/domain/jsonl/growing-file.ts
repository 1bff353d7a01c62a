import { open, type FileHandle } from 'node:fs/promises';

/**
 * Below glibc's mmap threshold (128 KiB, MALLOC_MMAP_THRESHOLD_ in package.json): each read needs a fresh buffer
 * (see read), and a larger one was fresh mapped memory that page-faulted as the read filled it. Under the profiler,
 * 3 × 200 MB over REST: 5.2 s busy with 256 KiB reads, 4.7 s with these.
 */
const READ_BYTES = 64 * 1024;

/**
 * A spool file that readers follow while it is still being written (`tail -f`), for the stream-through upload:
 * a copy goes upstream as the lines pass validation, from the disk, so memory stays the same whatever the size
 * and a slow copy only lets the file on disk run ahead of it.
 *
 * Readers get only bytes the writer has on disk (`grew` is called from the write callbacks, in file order) and
 * end only once the file is `released`: until then the END of every copy is held back, so an upstream never
 * sees a whole file before the gateway has accepted it. `fail` makes every reader throw at its next step, which
 * cuts its upload off mid-body.
 */
export class GrowingFile {
  private durable = 0;
  private released = false;
  private failure: Error | null = null;
  private wake: (() => void)[] = [];
  path: string | null = null;

  /** The writer has `bytes` more on disk. */
  grew(bytes: number): void {
    this.durable += bytes;
    this.notify();
  }

  /** Every byte is on disk and the file has been accepted: readers may end. */
  release(): void {
    this.released = true;
    this.notify();
  }

  /** The file will never be accepted: readers throw `err` (the first reason wins). */
  fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** The bytes from the start, as they reach the disk; one read per call of this (an upload attempt). */
  async *read(): AsyncGenerator<Buffer> {
    const path = this.path;
    if (!path) throw new Error('GrowingFile read before its file exists');
    let file: FileHandle | null = null;
    let at = 0;
    try {
      for (;;) {
        if (this.failure) throw this.failure;
        if (at < this.durable) {
          // Opened only once a write has completed: the writer's stream opens the file asynchronously, so before
          // that it may not exist yet (a reader that started first got ENOENT). A failed upload's folder may be
          // gone by the time this runs: its reason is then the error, not the missing file.
          file ??= await open(path, 'r').catch((err: unknown) => {
            throw this.failure ?? err;
          });
          const want = Math.min(READ_BYTES, this.durable - at);
          // A fresh buffer each time: the HTTP client may still hold the last one in its socket queue.
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await file.read(buf, 0, want, at);
          if (bytesRead === 0) throw new Error('spool file shorter than written');
          at += bytesRead;
          yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
          continue;
        }
        if (this.released) return;
        await new Promise<void>((resolve) => this.wake.push(resolve));
      }
    } finally {
      await file?.close();
    }
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }
}
