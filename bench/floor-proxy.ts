/**
 * The floor: what Fastify + undici alone cost for a batch retrieve, with nothing of sluice in between (no key,
 * no router, no database): `GET /v1/batches/:id` forwarded to one upstream, its JSON parsed and sent back.
 *
 *   npx tsx bench/floor-proxy.ts UPSTREAM_ORIGIN      prints `listening PORT`
 */
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = new Pool(process.argv[2]);
const app = Fastify();
app.get('/v1/batches/:id', async (req) => {
  const res = await upstream.request({
    method: 'GET',
    path: `/v1/batches/${(req.params as { id: string }).id}`,
    headers: { authorization: 'Bearer x' },
  });
  return res.body.json();
});
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${(app.server.address() as { port: number }).port}`);
