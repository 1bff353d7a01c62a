import type { FastifyInstance } from 'fastify';

/** `GET /metrics`: Prometheus text. Unauthenticated like the health probes (and LiteLLM's /metrics). */
export function registerMetricsRoutes(app: FastifyInstance, scrape: () => Promise<{ contentType: string; body: string }>): void {
  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await scrape();
    return reply.header('content-type', contentType).send(body);
  });
}
