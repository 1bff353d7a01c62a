import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';
import { makeSpoolDir } from '../spool-dirs.js';

/**
 * Spools an upload as-is (pass-through routes do not validate or rewrite) so that its size is known for
 * Content-Length and a retry can re-read it; never held in memory.
 */
export async function spoolRaw(content: AsyncIterable<Uint8Array>, maxBytes: number) {
  const dir = await makeSpoolDir('raw');
  const path = join(dir, 'upload');
  const out = createWriteStream(path);
  // A failed open or write must become this upload's error: an 'error' event nobody listens to ends the process.
  let failed: Error | null = null;
  out.on('error', (err) => {
    failed ??= err;
  });
  let bytes = 0;
  try {
    for await (const chunk of content) {
      if (failed) throw failed;
      bytes += chunk.byteLength;
      if (bytes > maxBytes)
        throw new GatewayError('payload_too_large', `File is larger than the limit of ${maxBytes} bytes`, 'file', 'file_too_large');
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    // The file may still be opening: the folder goes once the stream has closed, not under it.
    if (!out.closed) await once(out, 'close');
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    throw err;
  }
  return {
    bytes,
    read: () => readLazily(path),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * The file, opened only when the first chunk is asked for. An upstream call may ask for the body again (a retry)
 * after the upload has failed and the folder is gone, then never read it: a stream opened eagerly would fail
 * with nobody listening (an uncaught ENOENT that ended the process; found by the REST fuzzer).
 */
async function* readLazily(path: string): AsyncGenerator<Uint8Array> {
  yield* createReadStream(path, { highWaterMark: 1 << 20 });
}
