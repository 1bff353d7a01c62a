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

/** The router, called in-process for this request, with an AbortSignal that fires if the client goes away. */
export function callerFor(gw: Gateway, req: FastifyRequest) {
  const abort = new AbortController();
  req.raw.once('close', () => {
    if (!req.raw.complete || req.raw.destroyed) abort.abort();
  });
  return createCaller(createContext(gw, bearerToken(req), abort.signal));
}
