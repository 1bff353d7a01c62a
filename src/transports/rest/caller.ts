import type { FastifyRequest } from 'fastify';
import { createCaller } from '../../api/router.js';
import { createContext } from '../../api/trpc.js';
import type { Gateway } from '../../domain/gateway.js';

/** `Authorization: Bearer <key>`, or `api-key: <key>` as Azure-style clients send it. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return m ? m[1].trim() : undefined;
  }
  const apiKey = req.headers['api-key'] ?? req.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey ? apiKey.trim() : undefined;
}

/**
 * The router, called in-process for this request. Its AbortSignal (set up in server.ts) fires if the client
 * goes away before the response is finished, which stops upstream work such as a content download.
 */
export function callerFor(gw: Gateway, req: FastifyRequest) {
  return createCaller(createContext(gw, bearerToken(req), abortSignalOf(req)));
}

const signals = new WeakMap<FastifyRequest, AbortSignal>();
export const abortSignalOf = (req: FastifyRequest) => signals.get(req);

/** onRequest hook: the response's 'close' without 'finish' means the client left (the request's own 'close' only means its body was read). */
export function trackClientAbort(req: FastifyRequest, res: import('node:http').ServerResponse): void {
  const abort = new AbortController();
  signals.set(req, abort.signal);
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
}
