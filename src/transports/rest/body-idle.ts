import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { GatewayError } from '../../domain/errors.js';

export const bodyTimeout = () =>
  new GatewayError('timeout', 'The client sent no part of the request body for too long', null, 'request_timeout');

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * A JSON body that stops arriving (a client that stalls, or a Content-Length larger than what it sends) fails
 * after `idleMs` without a byte, as a 408 in OpenAI's envelope, instead of holding the connection until the
 * whole-request timeout. Only JSON, which Fastify reads whole and at once: streamed bodies (multipart uploads,
 * tRPC's octet-stream uploads) are read from the request by their own code, with back-pressure, and a copy
 * here would compete with it; the multipart upload has its own timer (multipart-upload.ts).
 *
 * The request is not piped: a pipeline would destroy it (and the socket, so no answer could be sent) when the
 * timer fails the copy that Fastify reads.
 */
export function idleLimitedBody(req: IncomingMessage, payload: Readable, idleMs: number): Readable {
  if (!hasBody(req) || !/^application\/json/i.test(req.headers['content-type'] ?? '')) return payload;
  const out = new PassThrough();
  // Fastify listens while it reads; an error after that (or on a body it refused unread) must not be uncaught.
  out.on('error', () => undefined);
  out.once('close', () => clearTimeout(timer));
  const timer = setTimeout(() => {
    payload.removeListener('data', onData);
    payload.resume(); // whatever still comes is discarded; the answer closes the connection
    out.destroy(bodyTimeout());
  }, idleMs);
  const onData = (chunk: Buffer) => {
    timer.refresh();
    if (!out.write(chunk)) payload.pause();
  };
  payload.on('data', onData);
  out.on('drain', () => payload.resume());
  payload.once('end', () => {
    clearTimeout(timer);
    out.end();
  });
  payload.on('error', (err) => {
    clearTimeout(timer);
    out.destroy(err);
  });
  payload.once('close', () => clearTimeout(timer));
  return out;
}
