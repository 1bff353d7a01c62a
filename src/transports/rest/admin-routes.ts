import type { RouterInputs } from '../../api/router.js';
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { callerFor } from './caller.js';
import { numberParam, stringParam } from './query.js';

type Body = Record<string, never>;
type Query = Record<string, string>;

/** LiteLLM's admin paths, so its users' scripts keep working: /key/* and /team/*. */
export function registerAdminRoutes(app: FastifyInstance, gw: Gateway): void {
  app.post('/key/generate', async (req) => callerFor(gw, req).keys.generate((req.body ?? {}) as Body));
  app.post('/key/update', async (req) => callerFor(gw, req).keys.update((req.body ?? {}) as RouterInputs['keys']['update']));
  app.post('/key/delete', async (req) => callerFor(gw, req).keys.delete((req.body ?? {}) as RouterInputs['keys']['delete']));
  app.get('/key/info', async (req) => callerFor(gw, req).keys.info({ key: stringParam(req.query as Query, 'key') }));
  app.get('/key/list', async (req) => {
    const q = req.query as Query;
    return callerFor(gw, req).keys.list({
      team_id: stringParam(q, 'team_id'),
      user_id: stringParam(q, 'user_id'),
      page: numberParam(q, 'page'),
      size: numberParam(q, 'size'),
      return_full_object: stringParam(q, 'return_full_object') === 'true',
    });
  });
  app.post('/team/new', async (req) => callerFor(gw, req).teams.create((req.body ?? {}) as Body));
  app.get('/team/info', async (req) => callerFor(gw, req).teams.info({ team_id: stringParam(req.query as Query, 'team_id') ?? '' }));
  app.get('/team/list', async (req) => callerFor(gw, req).teams.list());
}
