import type { FastifyInstance } from 'fastify';

/** LiteLLM's probe paths: liveliness always answers; readiness checks the database. */
export function registerHealthRoutes(app: FastifyInstance, isReady: () => Promise<boolean>): void {
  for (const path of ['/health/liveliness', '/health/liveness']) {
    app.get(path, async () => ({ status: 'alive' }));
  }
  app.get('/health/readiness', async (_req, reply) => {
    const ready = await isReady().catch(() => false);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', db: ready ? 'connected' : 'unavailable' });
  });
}
