import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../domain/gateway.js';
import { callerFor } from './caller.js';

export function registerModelRoutes(app: FastifyInstance, gw: Gateway): void {
  app.get('/model_group/info', async (req) => callerFor(gw, req).models.groups());
  for (const prefix of ['/v1', '']) app.get(`${prefix}/models`, async (req) => callerFor(gw, req).models.list());
}
