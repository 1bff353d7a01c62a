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
  let bytes = 0;
  try {
    for await (const chunk of content) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) throw new GatewayError('payload_too_large', `File is larger than the limit of ${maxBytes} bytes`, 'file', 'file_too_large');
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    bytes,
    read: () => createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
