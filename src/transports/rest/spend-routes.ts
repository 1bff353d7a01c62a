import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { callerFor } from './caller.js';
import { numberParam, stringParam } from './query.js';

type Query = Record<string, string>;

/** LiteLLM's `GET /spend/logs?api_key=&team_id=&batch_id=&start_date=&end_date=` (master key only). */
export function registerSpendRoutes(app: FastifyInstance, gw: Gateway): void {
  app.get('/spend/logs', async (req) => {
    const q = req.query as Query;
    return callerFor(gw, req).spend.logs({
      api_key: stringParam(q, 'api_key') ?? stringParam(q, 'key_id'),
      team_id: stringParam(q, 'team_id'),
      user_id: stringParam(q, 'user_id'),
      batch_id: stringParam(q, 'batch_id') ?? stringParam(q, 'request_id'),
      start_date: stringParam(q, 'start_date'),
      end_date: stringParam(q, 'end_date'),
      limit: numberParam(q, 'limit'),
    });
  });
}
