import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { FastifyInstance } from 'fastify';
import { trpcHttpRouter, type TrpcHttpRouter } from './http-router.js';
import { echo } from '../../domain/echo.js';
import { GatewayError } from '../../domain/errors.js';
import type { Gateway } from '../../domain/gateway.js';
import { maxStreamedBodyBytes } from './body-flow.js';
import { createHttpContext } from './context.js';
import { trpcWireError } from './wire-errors.js';

/**
 * The router itself at `/trpc` on the HTTP port, for TypeScript clients (clients/trpc): queries and mutations
 * as JSON (batched), `batches.watch` as Server-Sent Events, uploads as FormData or a raw byte stream.
 */
export function registerTrpc(app: FastifyInstance, gw: Gateway): void {
  void app.register(
    async (scope) => {
      // Upload streams stay unread here: tRPC reads them itself (see files.uploadStream).
      scope.addContentTypeParser('application/octet-stream', (_req, _payload, done) => done(null));
      // What goes wrong before tRPC runs (a content type, a body over the limit, no such route) is answered in
      // tRPC's error shape here, not in REST's envelope: a tRPC client reads only the former.
      scope.setErrorHandler((err, req, reply) => {
        const mapped = trpcWireError(err, (req.params as { path?: string } | undefined)?.path);
        if (mapped.status >= 500)
          req.log.error({ reqId: req.id, err: { message: (err as Error).message, stack: (err as Error).stack } }, 'request failed');
        if (mapped.status === 408) reply.header('connection', 'close'); // the body was not read to its end
        void reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
      });
      scope.setNotFoundHandler((req, reply) => {
        const path = req.url.split('?')[0].replace(/^\/trpc\/?/, '');
        const mapped = trpcWireError(
          new GatewayError('not_found', `No procedure found on path "${echo(path)}"`, null, 'unknown_procedure'),
          path,
        );
        void reply.code(mapped.status).send(mapped.body);
      });
      await scope.register(fastifyTRPCPlugin, {
        trpcOptions: {
          router: trpcHttpRouter,
          createContext: (opts) => createHttpContext(gw, opts),
          // JSON bodies are bounded by Fastify's bodyLimit; this bounds streamed ones (forms, octet streams).
          maxBodySize: maxStreamedBodyBytes(gw.config.limits.maxFileBytes),
          // Callers get a generic message for unexpected errors (api/trpc.ts); the details go to the log.
          onError: ({ error, path }) => {
            if (GatewayError.from(error).kind === 'internal') {
              gw.log.error({ event: 'trpc_internal_error', path, error: error.cause?.message ?? error.message }, 'tRPC call failed');
            }
          },
        },
      } satisfies FastifyTRPCPluginOptions<TrpcHttpRouter>);
    },
    { prefix: '/trpc' },
  );
}
