import { echo } from '../../domain/echo.js';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerBatchRoutes } from './batches-routes.js';
import { idleLimitedBody } from './body-idle.js';
import { trackClientAbort } from './caller.js';
import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../../domain/errors.js';
import { upstreamDetail } from '../../domain/upstream-error.js';
import { rawErrorResponse, toOpenAIError } from './errors.js';
import { registerFileRoutes } from './files-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerTrpc } from '../trpc/plugin.js';
import { isTrpcUrl, trpcWireError } from '../trpc/wire-errors.js';
import { registerMetricsRoutes } from './metrics-routes.js';
import { registerModelRoutes } from './models-routes.js';
import { registerProviderRoutes } from './provider-routes.js';
import { registerSpendRoutes } from './spend-routes.js';

export interface RestOptions {
  gw: Gateway;
  isReady: () => Promise<boolean>;
  logger: FastifyInstance['log'] | false;
  /** Prometheus text for `GET /metrics` (observability/metrics.ts); no route when absent. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/**
 * The OpenAI-compatible REST shim: parse the wire, call the router, write OpenAI's shapes. Every route also
 * answers without the `/v1` prefix, as LiteLLM does.
 */
export function buildRestServer({ gw, isReady, logger, metrics }: RestOptions): FastifyInstance {
  const { requestTimeoutMs } = gw.config.limits;
  // The response each connection is writing, so a late parser error never writes over one already started.
  const responding = new WeakMap<Socket, ServerResponse>();
  const app = Fastify({
    loggerInstance: logger || undefined,
    logger: logger ? undefined : false,
    // req.log is the REST logger itself, not a child per request: making one was ~1 % of a batch retrieve's CPU,
    // for a binding (Fastify's request counter) no caller ever sees. The error handler names the request itself.
    childLoggerFactory: (parent) => parent,
    bodyLimit: 1024 * 1024,
    keepAliveTimeout: 65_000,
    // Slow or lying clients (a Content-Length larger than the body) are cut off: Fastify's default is no limit.
    // Bodies that stall are caught sooner, per request (body-idle.ts, multipart-upload.ts).
    requestTimeout: requestTimeoutMs,
    // IDs are at most 255 characters; longer path parameters reach the handler up to here and get its 404.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // Errors before routing (a bad URL, a path parameter past the limit): OpenAI's envelope, not Fastify's (under
    // /trpc, tRPC's error shape).
    frameworkErrors: (err, req, reply) => {
      const mapped = isTrpcUrl(req.url) ? trpcWireError(err, undefined) : toOpenAIError(err);
      void (reply as unknown as FastifyReply).code(mapped.status).send(mapped.body);
    },
    // Errors of Node's HTTP parser and its timeouts (408 request timeout, 431 headers too large, broken framing).
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable && !responding.get(socket as Socket)?.headersSent) socket.write(rawErrorResponse(err));
      socket.destroy();
    },
  }) as unknown as FastifyInstance;
  // Node's defaults, stated: headers must arrive within 30 s (of a request's start), and be at most 16 KiB.
  app.server.headersTimeout = Math.min(30_000, requestTimeoutMs);

  // JSON and multipart only: a text/plain body is not a request this API knows (415, not a confusing 400).
  app.removeContentTypeParser('text/plain');
  // Multipart bodies stay unread here: the upload route streams them through busboy.
  app.addContentTypeParser('multipart/form-data', (_req, _payload, done) => done(null));
  // The SDK sends `POST /batches/{id}/cancel` with no body; an empty JSON body is not an error.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(Object.assign(new Error(`Invalid JSON body: ${(err as Error).message}`), { statusCode: 400, code: 'invalid_json' }), undefined);
    }
  });

  // Callback-style hooks: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onRequest', (req, reply, done) => {
    responding.set(req.raw.socket, reply.raw);
    trackClientAbort(reply.raw);
    done();
  });
  app.addHook('preParsing', (req, _reply, payload, done) =>
    done(null, idleLimitedBody(req.raw, payload, gw.config.limits.bodyIdleTimeoutMs)),
  );

  app.setErrorHandler((err, req, reply) => {
    const mapped = toOpenAIError(err);
    if (mapped.status >= 500) {
      req.log.error({ reqId: req.id, err: { message: (err as Error).message, stack: (err as Error).stack } }, 'request failed');
    }
    const detail = upstreamDetail(GatewayError.from(err));
    if (detail) req.log.warn({ reqId: req.id, event: 'upstream_error', status: mapped.status, detail }, 'a provider call failed');
    // A request whose body was not read to its end (a timeout, a refused upload): the connection cannot be reused.
    if (mapped.status === 408) reply.header('connection', 'close');
    void reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const mapped = toOpenAIError(
      new GatewayError('not_found', `Unknown route: ${req.method} ${echo(req.url.split('?')[0])}`, null, 'unknown_route'),
    );
    void reply.code(mapped.status).send(mapped.body);
  });

  registerHealthRoutes(app, isReady);
  registerTrpc(app, gw); // the router itself at /trpc (transports/trpc)
  registerModelRoutes(app, gw);
  registerAdminRoutes(app, gw);
  registerProviderRoutes(app, gw);
  registerSpendRoutes(app, gw);
  if (metrics) registerMetricsRoutes(app, metrics);
  // Managed routes: /v1 (OpenAI SDK), no prefix (as LiteLLM allows), /openai (an AzureOpenAI client's base URL).
  for (const prefix of ['/v1', '', '/openai']) {
    registerFileRoutes(app, gw, prefix);
    registerBatchRoutes(app, gw, prefix);
  }
  return app;
}
