import type { RouterInputs } from '../../api/router.js';
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { callerFor } from './caller.js';
import { handleUpload } from './multipart-upload.js';
import { numberParam, stringParam } from './query.js';

type IdParams = { Params: { id: string } };
type Query = Record<string, string>;

/** /azure/v1/* and /openai/v1/*: the seed's provider routes, passed to the provider the environment names. */
export function registerProviderRoutes(app: FastifyInstance, gw: Gateway): void {
  for (const route of ['azure', 'openai'] as const) {
    const prefix = `/${route}/v1`;
    app.post(`${prefix}/files`, (req, reply) =>
      handleUpload(req, reply, gw.config.limits.bodyIdleTimeoutMs, (upload) =>
        callerFor(gw, req).providerRoutes.uploadFile({ route, upload }),
      ),
    );
    app.get(`${prefix}/files`, async (req) => {
      const q = req.query as Query;
      return callerFor(gw, req).providerRoutes.listFiles({ route, limit: numberParam(q, 'limit'), after: stringParam(q, 'after') });
    });
    app.get<IdParams>(`${prefix}/files/:id`, async (req) => callerFor(gw, req).providerRoutes.getFile({ route, file_id: req.params.id }));
    app.get<IdParams>(`${prefix}/files/:id/content`, async (req, reply) => {
      const content = await callerFor(gw, req).providerRoutes.fileContent({ route, file_id: req.params.id });
      reply.header('content-type', content.contentType);
      return reply.send(content.body);
    });
    app.delete<IdParams>(`${prefix}/files/:id`, async (req) =>
      callerFor(gw, req).providerRoutes.deleteFile({ route, file_id: req.params.id }),
    );
    app.post(`${prefix}/batches`, async (req) =>
      callerFor(gw, req).providerRoutes.createBatch({
        ...((req.body ?? {}) as object),
        route,
      } as RouterInputs['providerRoutes']['createBatch']),
    );
    app.get(`${prefix}/batches`, async (req) => {
      const q = req.query as Query;
      return callerFor(gw, req).providerRoutes.listBatches({ route, limit: numberParam(q, 'limit'), after: stringParam(q, 'after') });
    });
    app.get<IdParams>(`${prefix}/batches/:id`, async (req) =>
      callerFor(gw, req).providerRoutes.getBatch({ route, batch_id: req.params.id }),
    );
    app.post<IdParams>(`${prefix}/batches/:id/cancel`, async (req) =>
      callerFor(gw, req).providerRoutes.cancelBatch({ route, batch_id: req.params.id }),
    );
  }
}
