import type { IncomingMessage, ServerResponse } from 'node:http';
import { uploadCancelled } from '../../domain/errors.js';

const HIGH_WATER = 8 * 1024 * 1024;
const LOW_WATER = 2 * 1024 * 1024;

/**
 * Flow control for a streamed tRPC request body. tRPC's Node adapter copies the socket's data into a web
 * ReadableStream as fast as it arrives, without backpressure; left alone, a fast client would fill memory
 * while the spool validates. This pauses the socket while more than 8 MiB is waiting to be read and resumes
 * it below 2 MiB, so memory stays bounded whatever the file's size.
 *
 * It also makes a client that goes away mid-stream an error, never a short file: tRPC's stream would just
 * stop (or end) then.
 */
export function flowControlledBody(raw: IncomingMessage, res: ServerResponse, signal: AbortSignal) {
  let received = 0;
  let consumed = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received - consumed > HIGH_WATER && !raw.isPaused()) raw.pause();
  };
  raw.on('data', onData);

  return (body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> =>
    (async function* () {
      const reader = body.getReader();
      let ended = false;
      let onAbort: () => void = () => undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(uploadCancelled());
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      aborted.catch(() => undefined);
      try {
        for (;;) {
          const { done, value } = await Promise.race([reader.read(), aborted]);
          if (done) {
            if (signal.aborted || !raw.complete) throw uploadCancelled();
            ended = true;
            return;
          }
          consumed += value.byteLength;
          if (raw.isPaused() && received - consumed < LOW_WATER) raw.resume();
          yield value;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        raw.off('data', onData);
        if (!ended && !raw.destroyed) {
          // Rejected before the end (a bad line, a limit): discard the rest instead of queueing it in memory,
          // answer now, and close the connection after.
          raw.removeAllListeners('data');
          raw.resume();
          if (!res.headersSent) res.setHeader('connection', 'close');
        }
        reader.releaseLock();
      }
    })();
}
