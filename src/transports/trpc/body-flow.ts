import type { IncomingMessage, ServerResponse } from 'node:http';
import { uploadCancelled } from '../../domain/errors.js';

const HIGH_WATER = 8 * 1024 * 1024;
const LOW_WATER = 2 * 1024 * 1024;

/** The largest streamed body (form or byte stream) tRPC reads: the file limit, plus room for the fields. */
export const maxStreamedBodyBytes = (maxFileBytes: number) => maxFileBytes + 1024 * 1024;

/**
 * Flow control for a streamed tRPC request body. tRPC's Node adapter copies the socket's data into a web
 * ReadableStream as fast as it arrives, without backpressure; left alone, a fast client would fill memory
 * while the spool validates. This pauses the socket while more than 8 MiB is waiting to be read and resumes
 * it below 2 MiB, so memory stays bounded whatever the file's size.
 *
 * It also makes a client that goes away mid-stream an error, never a short file: tRPC's stream would just
 * stop (or end) then.
 *
 * A reader that stops early leaves the socket paused: discardUnreadBody deals with the rest after the answer.
 */
export function flowControlledBody(raw: IncomingMessage, signal: AbortSignal) {
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
            return;
          }
          consumed += value.byteLength;
          if (raw.isPaused() && received - consumed < LOW_WATER) raw.resume();
          yield value;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        // Released, not cancelled: tRPC cancels its stream by destroying the request, and so the socket.
        reader.releaseLock();
      }
    })();
}

/**
 * A streamed body answered before it has all arrived (a bad line, a limit, no key, bad fields: whether the body
 * was read in part or not at all) would otherwise stay queued in tRPC's stream, or paused by the flow control,
 * until the whole-request timeout. Once the answer has gone out, the rest is read and thrown away, up to
 * `maxBytes` more (the largest body these routes accept), and the connection serves its next request. It is not
 * closed after the answer: a client still sending its body (fetch/undici) would get EPIPE or ECONNRESET
 * instead of reading the answer.
 */
export function discardUnreadBody(raw: IncomingMessage, res: ServerResponse, maxBytes: number): void {
  res.once('finish', () => {
    if (!raw.complete && !raw.destroyed) discardRest(raw, maxBytes);
  });
}

function discardRest(raw: IncomingMessage, maxBytes: number): void {
  raw.removeAllListeners('data'); // tRPC's copy into its stream, and the flow control above
  let discarded = 0;
  raw.on('data', (chunk: Buffer) => {
    // A body larger than any this route accepts is not worth reading to its end: the connection goes.
    if ((discarded += chunk.length) > maxBytes) raw.destroy();
  });
  raw.resume();
}
