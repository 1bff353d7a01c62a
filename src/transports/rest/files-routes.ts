import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { callerFor } from './caller.js';
import { handleUpload } from './multipart-upload.js';
import { numberParam, stringParam } from './query.js';

type IdParams = { Params: { id: string } };

export function registerFileRoutes(app: FastifyInstance, gw: Gateway, prefix: string): void {
  app.post(`${prefix}/files`, (req, reply) =>
    handleUpload(req, reply, gw.config.limits.bodyIdleTimeoutMs, (source) => callerFor(gw, req).files.upload(source)),
  );

  app.get(`${prefix}/files`, async (req) => {
    const q = req.query as Record<string, string>;
    return callerFor(gw, req).files.list({
      purpose: stringParam(q, 'purpose'),
      limit: numberParam(q, 'limit'),
      after: stringParam(q, 'after'),
      order: stringParam(q, 'order') as 'asc' | 'desc' | undefined,
    });
  });

  app.get<IdParams>(`${prefix}/files/:id`, async (req) => callerFor(gw, req).files.retrieve({ file_id: req.params.id }));

  app.get<IdParams>(`${prefix}/files/:id/content`, async (req, reply) => {
    const content = await callerFor(gw, req).files.content({ file_id: req.params.id });
    reply.header('content-type', content.contentType);
    if (content.contentLength !== undefined) reply.header('content-length', content.contentLength);
    return reply.send(content.body);
  });

  app.delete<IdParams>(`${prefix}/files/:id`, async (req) => callerFor(gw, req).files.delete({ file_id: req.params.id }));
}
