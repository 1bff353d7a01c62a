import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../bearer-token.js';
import { createCaller } from '../../api/router.js';
import type { Context } from '../../api/trpc.js';
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

/**
 * The router's context for this request (what callerFor calls with; api/direct-operation.ts takes it as is). Its
 * signal is made only when something reads it: most calls (a retrieve) never do.
 */
export function contextFor(gw: Gateway, req: FastifyRequest): Context {
  return {
    gw,
    token: requestToken(req),
    get signal() {
      return abortSignalOf(req);
    },
  };
}

interface Tracked {
  /** The response closed before it finished: the client left. */
  left: boolean;
  controller?: AbortController;
}

const tracked = new WeakMap<FastifyRequest, Tracked>();

/** Aborted once the client has gone away (an AbortController per request costs, so it is made on first use). */
function abortSignalOf(req: FastifyRequest): AbortSignal | undefined {
  const t = tracked.get(req);
  if (!t) return undefined;
  if (!t.controller) {
    t.controller = new AbortController();
    if (t.left) t.controller.abort();
  }
  return t.controller.signal;
}

/** onRequest hook: the response's 'close' without 'finish' means the client left (the request's own 'close' only means its body was read). */
export function trackClientAbort(req: FastifyRequest, res: import('node:http').ServerResponse): void {
  const t: Tracked = { left: false };
  tracked.set(req, t);
  res.once('close', () => {
    if (res.writableFinished) return;
    t.left = true;
    t.controller?.abort();
  });
}
