import Fastify, { type FastifyInstance } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerBatchRoutes } from './batches-routes.js';
import { trackClientAbort } from './caller.js';
import { toOpenAIError } from './errors.js';
import { registerFileRoutes } from './files-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerTrpc } from '../trpc/plugin.js';
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
  const app = Fastify({
    loggerInstance: logger || undefined,
    logger: logger ? undefined : false,
    bodyLimit: 1024 * 1024,
    keepAliveTimeout: 65_000,
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;

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

  app.addHook('onRequest', async (req, reply) => trackClientAbort(req, reply.raw));

  app.setErrorHandler((err, req, reply) => {
    const mapped = toOpenAIError(err);
    if (mapped.status >= 500) req.log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'request failed');
    void reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { message: `Unknown route: ${req.method} ${req.url.split('?')[0]}`, type: 'invalid_request_error', param: null, code: 'unknown_route' } });
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
