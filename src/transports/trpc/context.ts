import type { CreateFastifyContextOptions } from '@trpc/server/adapters/fastify';
import { createContext, type Context } from '../../api/trpc.js';
import type { Gateway } from '../../domain/gateway.js';
import { requestToken } from '../rest/caller.js';
import { discardUnreadBody, flowControlledBody, maxStreamedBodyBytes } from './body-flow.js';

/** How this transport reads a streamed request body, with its own flow control (body-flow.ts). */
export interface HttpBody {
  requestBody?: (body: ReadableStream<Uint8Array>) => AsyncIterable<Uint8Array>;
}

/** tRPC over HTTP: the same bearer token as REST, the request's abort signal, and flow control for uploads. */
export function createHttpContext(gw: Gateway, { req, res, info }: CreateFastifyContextOptions): Context & HttpBody {
  const ctx: Context & HttpBody = createContext(gw, requestToken(req), info.signal);
  const type = req.headers['content-type'] ?? '';
  // The bodies tRPC streams from the socket itself (JSON ones Fastify has read whole, within its bodyLimit).
  if (/^(application\/octet-stream|multipart\/form-data)/i.test(type)) {
    discardUnreadBody(req.raw, res.raw, maxStreamedBodyBytes(gw.config.limits.maxFileBytes));
  }
  if (/^application\/octet-stream/i.test(type)) ctx.requestBody = flowControlledBody(req.raw, info.signal);
  return ctx;
}
