import type { CreateFastifyContextOptions } from '@trpc/server/adapters/fastify';
import { createContext, type Context } from '../../api/trpc.js';
import type { Gateway } from '../../domain/gateway.js';
import { requestToken } from '../rest/caller.js';
import { flowControlledBody } from './body-flow.js';

/** How this transport reads a streamed request body, with its own flow control (body-flow.ts). */
export interface HttpBody {
  requestBody?: (body: ReadableStream<Uint8Array>) => AsyncIterable<Uint8Array>;
}

/** tRPC over HTTP: the same bearer token as REST, the request's abort signal, and flow control for uploads. */
export function createHttpContext(gw: Gateway, { req, res, info }: CreateFastifyContextOptions): Context & HttpBody {
  const ctx: Context & HttpBody = createContext(gw, requestToken(req), info.signal);
  if (req.headers['content-type']?.startsWith('application/octet-stream')) {
    ctx.requestBody = flowControlledBody(req.raw, res.raw, info.signal);
  }
  return ctx;
}
