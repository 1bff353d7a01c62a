/**
 * The bench's upstream: an OpenAI-shaped Files + Batches server that costs next to nothing, so that what the bench
 * measures is the gateway in front of it. Not the test emulator (dev/emulators keeps state, validates, injects
 * faults): here a batch retrieve answers a prebuilt body and every batch stays `in_progress` for ever (so every
 * retrieve a gateway forwards is a real round trip), and a file upload only counts the bytes it receives.
 *
 * Runs in a process of its own (bench/run.ts starts it) so that its CPU time is not the load generator's.
 * argv: how many listeners (one per "deployment"); prints one JSON line `{ "urls": [...] }`, each ending in /v1.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const BATCH_CREATED_AT = 1_767_225_600;
// The prebuilt retrieve answer around the id: only the id varies, so a retrieve is two Buffer writes.
const batchHead = Buffer.from('{"id":"');
const batchTail = Buffer.from(
  `","object":"batch","endpoint":"/v1/chat/completions","errors":null,"input_file_id":"file-standin","completion_window":"24h",` +
    `"status":"in_progress","output_file_id":null,"error_file_id":null,"created_at":${BATCH_CREATED_AT},"in_progress_at":${BATCH_CREATED_AT + 5},` +
    `"expires_at":${BATCH_CREATED_AT + 86_400},"finalizing_at":null,"completed_at":null,"failed_at":null,"expired_at":null,"cancelling_at":null,` +
    `"cancelled_at":null,"request_counts":{"total":50000,"completed":1200,"failed":0},"metadata":null}`,
);

let fileCounter = 0;
let batchCounter = 0;
/** Batch retrieves answered: the bench checks that each sluice retrieve reached the upstream. */
let retrieves = 0;

function send(res: ServerResponse, status: number, body: Buffer | string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function batchBody(id: string): Buffer {
  return Buffer.concat([batchHead, Buffer.from(id), batchTail]);
}

async function readAll(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  // Whatever comes before /v1 (a deployment's path prefix) is ignored.
  const path = (req.url ?? '/').replace(/^.*?(?=\/v1\/)/, '').split('?')[0];
  if (req.method === 'GET' && path.startsWith('/v1/batches/')) {
    // The hot path: a retrieve of a batch that is still running.
    retrieves++;
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': batchHead.length + Buffer.byteLength(path) - 12 + batchTail.length,
    });
    res.write(batchHead);
    res.write(path.slice(12));
    res.end(batchTail);
    return;
  }
  if (req.method === 'POST' && path === '/v1/files') {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () =>
      send(
        res,
        200,
        JSON.stringify({
          id: `file-standin${++fileCounter}`,
          object: 'file',
          bytes,
          created_at: Math.floor(Date.now() / 1000),
          filename: 'input.jsonl',
          purpose: 'batch',
          status: 'processed',
        }),
      ),
    );
    return;
  }
  if (req.method === 'POST' && path === '/v1/batches') {
    void readAll(req).then(() => send(res, 200, batchBody(`batch_standin${++batchCounter}`)));
    return;
  }
  if (req.method === 'GET' && path === '/_stats') {
    send(res, 200, JSON.stringify({ retrieves }));
    return;
  }
  if (req.method === 'DELETE' && path.startsWith('/v1/files/')) {
    send(res, 200, JSON.stringify({ id: path.slice(10), object: 'file', deleted: true }));
    return;
  }
  if (req.method === 'GET' && path.startsWith('/v1/files/')) {
    send(
      res,
      200,
      JSON.stringify({
        id: path.slice(10),
        object: 'file',
        bytes: 0,
        created_at: BATCH_CREATED_AT,
        filename: 'input.jsonl',
        purpose: 'batch',
        status: 'processed',
      }),
    );
    return;
  }
  req.resume();
  send(
    res,
    404,
    JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: null } }),
  );
}

const count = Math.max(1, Number(process.argv[2] ?? 1));
const urls: string[] = [];
for (let i = 0; i < count; i++) {
  const server = createServer({ keepAliveTimeout: 60_000 }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
}
process.stdout.write(`${JSON.stringify({ urls })}\n`);
process.once('SIGTERM', () => process.exit(0));
