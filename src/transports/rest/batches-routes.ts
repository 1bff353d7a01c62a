import type { RouterInputs } from '../../api/router.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { callAuthedOperation } from '../../api/direct-operation.js';
import { listBatches, retrieveBatch } from '../../api/routers/batches.js';
import { callerFor, contextFor } from './caller.js';
import { jsonOnce } from './json-once.js';
import { nameListParam, numberParam, stringParam } from './query.js';

type IdParams = { Params: { id: string } };

export function registerBatchRoutes(app: FastifyInstance, gw: Gateway, prefix: string): void {
  const create = async (req: FastifyRequest) => {
    const key = req.headers['idempotency-key'];
    // The OpenAI SDKs number their retries; a retry of the same body is the same request (no second batch).
    const retry = Number(req.headers['x-stainless-retry-count']) > 0;
    const body = {
      ...((req.body ?? {}) as object),
      ...(typeof key === 'string' ? { idempotency_key: key } : {}),
      ...(retry ? { sdk_retry: true } : {}),
    };
    return callerFor(gw, req).batches.create(body as RouterInputs['batches']['create']);
  };
  app.post(`${prefix}/batches`, create);
  // The AzureOpenAI SDK (v5+) built with a `deployment` posts batch creates here; the file decides the group.
  if (prefix === '/openai') app.post(`${prefix}/deployments/:deployment/batches`, create);

  app.get(`${prefix}/batches`, async (req) => {
    const q = req.query as Record<string, string>;
    return callAuthedOperation(listBatches, contextFor(gw, req), {
      limit: numberParam(q, 'limit'),
      after: stringParam(q, 'after'),
      target_model_names: nameListParam(q, 'target_model_names'),
    });
  });

  // The polling hot paths (list, retrieve) run the router's operation without tRPC's per-call machinery (api/direct-operation.ts).
  app.get<IdParams>(`${prefix}/batches/:id`, async (req, reply) =>
    jsonOnce(reply, await callAuthedOperation(retrieveBatch, contextFor(gw, req), { batch_id: req.params.id })),
  );

  app.post<IdParams>(`${prefix}/batches/:id/cancel`, async (req) => callerFor(gw, req).batches.cancel({ batch_id: req.params.id }));
}
