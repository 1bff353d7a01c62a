/**
 * The floor: what Fastify + undici alone cost, with nothing of sluice in between (no key, no router, no
 * database, no validation), for comparing sluice with what any Node gateway on this machine must spend:
 * - `GET /v1/batches/:id` forwarded to the first upstream, its JSON parsed and sent back;
 * - `POST /v1/files`: the request's bytes, as they arrive, sent on to every upstream at once (the managed
 *   upload's two copies) without even parsing the multipart body; answers the first upstream's JSON.
 *
 *   npx tsx bench/floor-proxy.ts UPSTREAM_ORIGIN…      prints `listening PORT`
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstreams = process.argv.slice(2).map((origin) => new Pool(origin));
const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_req, _payload, done) => done(null)); // bodies stay unread: the handler streams them

app.get('/v1/batches/:id', async (req) => {
  const res = await upstreams[0].request({
    method: 'GET',
    path: `/v1/batches/${(req.params as { id: string }).id}`,
    headers: { authorization: 'Bearer x' },
  });
  return res.body.json();
});

app.post('/v1/files', async (req) => {
  const copies = upstreams.map(() => new PassThrough({ highWaterMark: 1 << 20 }));
  const answers = upstreams.map((pool, i) =>
    pool.request({
      method: 'POST',
      path: '/v1/files',
      headers: { 'content-type': req.headers['content-type'] ?? '', 'content-length': req.headers['content-length'] ?? '' },
      body: copies[i],
    }),
  );
  for await (const chunk of req.raw) {
    const full = copies.map((c) => !c.write(chunk));
    await Promise.all(copies.filter((_, i) => full[i]).map((c) => once(c, 'drain')));
  }
  for (const c of copies) c.end();
  const [first, ...rest] = await Promise.all(answers);
  await Promise.all(rest.map((r) => r.body.dump()));
  return first.body.json();
});

await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${(app.server.address() as { port: number }).port}`);
