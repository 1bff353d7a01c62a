import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../bearer-token.js';
import { createCaller } from '../../api/router.js';
import { createContext } from '../../api/trpc.js';
import type { Gateway } from '../../domain/gateway.js';

/** The request's key (transports/bearer-token.ts); a repeated header counts as absent. */
export function requestToken(req: FastifyRequest): string | undefined {
  return bearerToken((name) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  });
}

/**
 * The router, called in-process for this request. Its AbortSignal (set up in server.ts) fires if the client
 * goes away before the response is finished, which stops upstream work such as a content download.
 */
export function callerFor(gw: Gateway, req: FastifyRequest) {
  return createCaller(contextFor(gw, req));
}

/** The router's context for this request (what callerFor calls with; api/direct-operation.ts takes it as is). */
export function contextFor(gw: Gateway, req: FastifyRequest) {
  return createContext(gw, requestToken(req), abortSignalOf(req));
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
