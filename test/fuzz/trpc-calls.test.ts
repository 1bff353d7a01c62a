import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpcHttpRouter } from '../../src/transports/trpc/http-router.js';
import { leakIn } from '../support/leak-patterns.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { FUZZ_SEED, fuzzTimeout, runsFor } from './fuzz-runs.js';

/**
 * Property-based fuzzing of `/trpc` over HTTP, as a tRPC client or anything else could call it: real and junk
 * procedure paths, one call or a batch (`?batch=1`), GET with `input=` and POST with a body, JSON that is odd
 * (deep, huge, lone surrogates, NULs, the wrong shape), bodies that are not JSON, with the master key, a virtual
 * key or none. For every request: never a 5xx; every error in tRPC's shape with `data.openai.type` (what the
 * tRPC client reads), short, and leaking nothing (test/support/leak-patterns.ts); an answer within 15 s. After
 * all of them: no spool left behind and the gateway still serving.
 */
interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

const PROCEDURE_TYPES = Object.fromEntries(
  Object.entries((trpcHttpRouter as unknown as { _def: { procedures: Record<string, { _def: { type: string } }> } })._def.procedures).map(
    ([path, p]) => [path, p._def.type],
  ),
);
const PROCEDURES = Object.keys(PROCEDURE_TYPES);
const FIELDS = [
  'file_id',
  'batch_id',
  'route',
  'limit',
  'after',
  'order',
  'purpose',
  'input_file_id',
  'endpoint',
  'completion_window',
  'metadata',
  'output_expires_after',
  'idempotency_key',
  'sdk_retry',
  'key',
  'keys',
  'models',
  'user_id',
  'team_id',
  'key_alias',
  'team_alias',
  'duration',
  'max_budget',
  'allow_provider_routes',
  'page',
  'size',
  'return_full_object',
  'api_key',
  'start_date',
  'end_date',
  'poll_interval_ms',
  'target_model_names',
  'content',
  'fields',
  'upload',
  'filename',
  'expires_after',
];

/** Filled in beforeAll: IDs that exist, so that some calls get past the lookup. */
const realIds: string[] = [];

/** One of realIds, chosen when a value is generated (they are known only once the stack is seeded). */
const realId = fc.constant(null).chain(() => fc.constantFrom(...(realIds.length ? realIds : ['x'])));

/** Strings that have broken gateways: NULs, lone surrogates, huge and unicode text, SQL and path bits. */
const nasty = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\ud800',
      'a\udfffb',
      '9'.repeat(400),
      '999999999w',
      '-1',
      '0',
      '1e309',
      '',
      ' ',
      "' OR 1=1 --",
      '../../etc/passwd',
      '%00',
      'ñandú',
      'x'.repeat(300),
      'x'.repeat(5000),
      'file-aaaaaaaaaaaaaaaaaaaaaaaa',
      'batch_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'gpt-4o-batch',
      'azure',
      'openai',
      '/v1/chat/completions',
      '24h',
      'batch',
      'created_at',
      'asc',
      '__proto__',
      'constructor',
      '2026-01-01',
      '2026-13-45T99:99:99Z',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).chain(() => realId) },
);
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nasty },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(1e308, -0, 2 ** 53, 3600, 100, 1000, 60_000),
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(nasty, nasty, { maxKeys: 20 }) },
  { weight: 1, arbitrary: fc.array(nasty, { maxLength: 5 }) },
);
/** A procedure's input: mostly objects with its fields (right or wrong), sometimes anything at all. */
const input: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.dictionary(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: nasty }), jsonValue, {
      maxKeys: 6,
    }),
  },
  { weight: 1, arbitrary: jsonValue },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** JSON text as no serializer writes it: deep nesting, escaped NULs and surrogates, duplicate keys, a prototype key. */
const oddJson = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `{"file_id":${'['.repeat(n)}"x"${']'.repeat(n)}}`),
  // Just under and over Fastify's 1 MiB limit on JSON bodies (as GET input, past the URL limit: sent as POST).
  fc.constantFrom(900_000, 1_100_000).map((n) => JSON.stringify({ file_id: 'f'.repeat(n) })),
  fc.constantFrom(
    '{"file_id":"\\u0000"}',
    '{"batch_id":"\\ud800"}',
    '{"key_alias":"\\udc00x"}',
    '{"file_id":"a","file_id":"b"}',
    '{"__proto__":{"limit":1}}',
    '{"metadata":{"\\u0000":"x"}}',
    '{"limit":1e999}',
    '{"limit":-0}',
    '{"0":{"file_id":"x"},"1":{}}',
    '{"0":null}',
    '[{"file_id":"x"}]',
    'null',
    '"x"',
    '1',
    '',
    ' ',
    '{',
    '{"a":1',
    '\u0000',
    '\ufeff{}',
    '{"json":{"file_id":"x"}}',
    '{"route":"azure","file_id":"file-x"}',
  ),
  fc.string({ maxLength: 60 }),
);

const authHeaders = fc.constantFrom<'master' | 'virtual' | 'none' | 'bad'>(
  'master',
  'master',
  'master',
  'virtual',
  'virtual',
  'none',
  'bad',
);

const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?')); // a lone surrogate cannot be encoded (the JSON escapes it)
  }
};

/** One procedure path or a batch of them: real ones, near misses, junk. */
const procedurePath = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...PROCEDURES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'files',
      'files.',
      '.list',
      'files.list.x',
      'FILES.LIST',
      'files..list',
      '_def',
      'files._def',
      'constructor',
      '__proto__',
      'toString',
      'files.__proto__',
    ),
  },
  { weight: 1, arbitrary: nasty.filter((s) => s.length > 0).map((s) => s.slice(0, 200)) },
);
const paths = fc.array(procedurePath, { minLength: 1, maxLength: 4 });

/** The serialized input of one call or of a batch (`{"0":…,"1":…}`), or odd JSON text in its place. */
function inputText(batch: boolean, count: number): fc.Arbitrary<string | undefined> {
  const one = input.map((v) => (v === undefined ? undefined : JSON.stringify(v)));
  const batched = fc
    .array(input, { minLength: count, maxLength: count })
    .map((vs) => JSON.stringify(Object.fromEntries(vs.map((v, i) => [String(i), v]))));
  return fc.oneof({ weight: 5, arbitrary: batch ? batched : one }, { weight: 2, arbitrary: oddJson });
}

const call: fc.Arbitrary<{ req: Req; auth: string }> = fc
  .tuple(
    paths,
    fc.boolean(),
    fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') }),
    authHeaders,
    // Sometimes a path that is no procedure's at all, as written (not encoded).
    fc.oneof(
      { weight: 14, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          '/',
          'a/b',
          '/files.list',
          'files.list/',
          '%',
          '%zz',
          '%C0%AF',
          '..%2F..',
          'files.list%00',
          'files.list;x',
        ),
      },
    ),
  )
  .chain(([names, batchFlag, verb, auth, rawPath]) => {
    // Mostly the method the first procedure answers to (GET for queries and subscriptions), so calls get past it.
    let method = verb ?? (PROCEDURE_TYPES[names[0]] === 'mutation' ? 'POST' : 'GET');
    const batch = batchFlag || names.length > 1;
    const path =
      rawPath === undefined
        ? `/trpc/${names.map(enc).join(',')}`
        : `/trpc${rawPath.startsWith('/') || rawPath === '' ? '' : '/'}${rawPath}`;
    return fc
      .tuple(
        inputText(batch, names.length),
        fc.oneof(
          { weight: 8, arbitrary: fc.constant('application/json') },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              'text/plain',
              'application/octet-stream',
              'multipart/form-data; boundary=XX',
              'multipart/form-data',
              'application/x-www-form-urlencoded',
              'application/xml',
              'application/json; charset=latin1',
              'json',
              '',
            ),
          },
        ),
        fc.constantFrom('', '', '', '&x=1', '&batch=0', '&batch=true', '&input=1', '&connectionParams=1'),
      )
      .map(([text, contentType, extra]) => {
        // A URL past Node's 16 KiB header limit is refused by its HTTP parser before any routing (431, covered by
        // the REST hostile tests): huge inputs go in a POST body.
        if (method === 'GET' && text !== undefined && enc(text).length > 12_000) method = 'POST';
        const query = `${batch ? 'batch=1&' : ''}${method === 'GET' && text !== undefined ? `input=${enc(text)}` : ''}${extra}`.replace(
          /&$/,
          '',
        );
        const headers: Record<string, string> = {};
        if (method !== 'GET' && contentType) headers['content-type'] = contentType;
        return {
          req: { method, path: query ? `${path}?${query}` : path, headers, body: method === 'GET' ? undefined : (text ?? '') },
          auth,
        };
      });
  });

/**
 * Uploads as the tRPC client sends them, with odd fields and content: a byte stream (a JSON header line, then
 * the file; sometimes no newline, or not JSON) to `files.uploadStream`, a form to `files.uploadForm`.
 */
const uploadContent = fc.oneof(
  fc.constant(chatJsonl(2)),
  fc.constant(chatJsonl(2, 'gpt-4o-mini-batch')),
  nasty,
  fc
    .array(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      { maxLength: 4 },
    )
    .map((lines) => lines.join('\n')),
);
const uploadCall: fc.Arbitrary<{ req: Req; auth: string }> = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        // Good fields half the time, so that some uploads get to the content (and some through).
        fc
          .record({
            purpose: fc.constant('batch'),
            target_model_names: fc.constantFrom(undefined, ['gpt-4o-batch'], ['gpt-4o-mini-batch'], ['nope']),
          })
          .map((f) => `${JSON.stringify(f)}\n`),
        input.map((v) => `${JSON.stringify(v) ?? ''}\n`),
        oddJson,
      ),
      uploadContent,
      authHeaders,
    )
    .map(([head, content, auth]) => ({
      req: {
        method: 'POST',
        path: '/trpc/files.uploadStream',
        headers: { 'content-type': 'application/octet-stream' },
        body: `${head}${content}`,
      },
      auth,
    })),
  fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.constantFrom('file', 'file', 'purpose', 'target_model_names', 'expires_after[seconds]', 'filename', 'x'),
          uploadContent,
        ),
        { maxLength: 5 },
      ),
      authHeaders,
    )
    .map(([parts, auth]) => {
      const boundary = 'fuzzBoundary7MA4YWxkTrZu0gW';
      const body = parts
        .map(
          ([name, value]) =>
            `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${name === 'file' ? '; filename="in.jsonl"' : ''}\r\n\r\n${value}\r\n`,
        )
        .join('');
      return {
        req: {
          method: 'POST',
          path: '/trpc/files.uploadForm',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          body: `${body}--${boundary}--\r\n`,
        },
        auth,
      };
    }),
);

/** `batches.watch`, a subscription answered as Server-Sent Events once its input is good enough to start. */
const watchCall: fc.Arbitrary<{ req: Req; auth: string }> = fc
  .tuple(
    fc.oneof(nasty, realId),
    fc.option(fc.oneof(fc.integer({ min: -5, max: 100_000 }), jsonValue), { nil: undefined }),
    authHeaders,
    fc.boolean(),
  )
  .map(([batchId, interval, auth, batch]) => {
    const text = JSON.stringify({ batch_id: batchId, poll_interval_ms: interval });
    const query = batch ? `batch=1&input=${enc(JSON.stringify({ 0: JSON.parse(text) }))}` : `input=${enc(text)}`;
    return { req: { method: 'GET', path: `/trpc/batches.watch?${query}`, headers: {} }, auth };
  });

/** What is wrong with one tRPC error object (`{message, code, data: {code, httpStatus, openai: {type, param, code}}}`), or null. */
function errorShapeProblem(error: unknown): string | null {
  const e = error as {
    message?: unknown;
    code?: unknown;
    data?: { code?: unknown; httpStatus?: unknown; stack?: unknown; openai?: Record<string, unknown> };
  };
  if (!e || typeof e.message !== 'string' || typeof e.code !== 'number')
    return `not tRPC's error shape: ${JSON.stringify(error).slice(0, 200)}`;
  if (typeof e.data?.code !== 'string' || typeof e.data.httpStatus !== 'number')
    return `no data.code/httpStatus: ${JSON.stringify(error).slice(0, 200)}`;
  if (e.data.httpStatus >= 500) return `a ${e.data.httpStatus}: ${e.message.slice(0, 200)}`;
  if (e.data.stack !== undefined) return 'a stack in data';
  const openai = e.data.openai;
  if (!openai || typeof openai.type !== 'string' || !openai.type || !('param' in openai) || !('code' in openai))
    return `no data.openai.type: ${JSON.stringify(error).slice(0, 200)}`;
  if (e.message.length > 1200) return `a ${e.message.length}-character message`;
  return null;
}

/** Every error in a tRPC answer: one result or error, a batch's array of them, or a subscription's SSE events. */
function errorsIn(text: string, contentType: string): unknown[] {
  if (contentType.startsWith('text/event-stream')) {
    return [...text.matchAll(/event: serialized-error\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]));
  }
  const parsed = JSON.parse(text) as unknown;
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.filter((item) => item && typeof item === 'object' && 'error' in item).map((item) => (item as { error: unknown }).error);
}

/**
 * SQLite takes a twentieth of FUZZ_RUNS (500 in `npm test`), PostgreSQL a fiftieth: a few seconds each. What /trpc
 * adds over the REST routes (fuzzed 10,000 times) is its wire (paths, batching, GET input, content types), not
 * the router's rules.
 */
describe.each([
  ['sqlite', 0.05],
  ['postgresql', 0.02],
] as const)('fuzzing /trpc over HTTP (%s)', (db, share) => {
  let s: Stack;
  let pool: Pool;
  let sent = 0;
  let subscriptions = 0;
  const keys: Record<string, Record<string, string>> = {
    master: { authorization: `Bearer ${MASTER_KEY}` },
    none: {},
    bad: { authorization: 'Bearer sk-nope' },
  };
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    s = await startStack({ db });
    pool = new Pool(s.url, { connections: 8, headersTimeout: 15_000, bodyTimeout: 15_000 });
    const res = await fetch(`${s.url}/key/generate`, {
      method: 'POST',
      headers: { ...keys.master, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['gpt-4o-batch'], allow_provider_routes: true }),
    });
    keys.virtual = { authorization: `Bearer ${((await res.json()) as { key: string }).key}` };
    const file = await s.client.files.create({ file: new File([chatJsonl(2)], 'seed.jsonl'), purpose: 'batch' });
    const batch = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    realIds.splice(0, realIds.length, file.id, batch.id);
  });
  afterAll(async () => {
    await pool?.close();
    await s?.close();
    console.info(
      `tRPC fuzz (${db}): ${sent} requests (${subscriptions} answered as event streams); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
  });

  async function check({ req, auth }: { req: Req; auth: string }): Promise<void> {
    sent++;
    const what = `${req.method} ${req.path.slice(0, 200)} (${auth}, ${req.headers['content-type'] ?? 'no content type'}) ${String(req.body ?? '').slice(0, 200)}`;
    let status: number;
    let text = '';
    let contentType: string;
    try {
      const res = await pool.request({
        method: req.method as 'GET',
        path: req.path,
        headers: { ...keys[auth], ...req.headers },
        body: req.body,
      });
      status = res.statusCode;
      contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        subscriptions++;
        // A subscription: its first event after `connected` says enough (an error, or the batch); a live watch
        // would stream for minutes.
        const deadline = Date.now() + 5_000;
        const told = () =>
          text
            .split('\n\n')
            .slice(0, -1)
            .some((event) => event.trim() && !event.startsWith('event: connected'));
        for await (const chunk of res.body) {
          text += String(chunk);
          if (told() || Date.now() > deadline) break;
        }
      } else {
        text = await res.body.text();
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      // The client refusing to send what it generated (an invalid header value) is not the gateway's doing.
      if (code === 'UND_ERR_INVALID_ARG') return;
      throw new Error(`${what}: no answer (${code ?? (err as Error).message})`);
    }
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const logged = () =>
      s.logs
        .filter((l) => l.includes('"level":50'))
        .slice(-2)
        .join('\n')
        .slice(0, 2000);
    if (status >= 500) throw new Error(`${what} → ${status}: ${text.slice(0, 300)}\nlogged: ${logged()}`);
    let errors: unknown[];
    try {
      errors = errorsIn(text, contentType);
    } catch {
      throw new Error(`${what} → ${status}: not JSON: ${text.slice(0, 300)}`);
    }
    if (status >= 400 && errors.length === 0)
      throw new Error(`${what} → ${status} without an error in tRPC's shape: ${text.slice(0, 300)}`);
    for (const error of errors) {
      const problem = errorShapeProblem(error) ?? leakIn(JSON.stringify(error));
      if (problem) throw new Error(`${what} → ${status}: ${problem}\nlogged: ${logged()}`);
    }
  }

  it(
    'answers every call with a result or an error in tRPC’s shape that names the caller’s mistake',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 12, arbitrary: call }, { weight: 2, arbitrary: uploadCall }, { weight: 1, arbitrary: watchCall }),
          check,
        ),
        { numRuns: runsFor(share), seed: FUZZ_SEED },
      );
    },
    fuzzTimeout(share),
  );

  it('leaves no spool behind and the gateway serving', async () => {
    const ours = () =>
      readdirSync(tmpdir()).filter((n) => n.startsWith(`sluice-spool-${process.pid}-`) || n.startsWith(`sluice-raw-${process.pid}-`));
    for (let waited = 0; ours().length > 0 && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(ours()).toEqual([]);
    expect((await fetch(`${s.url}/health/readiness`)).status).toBe(200);
    expect((await fetch(`${s.url}/trpc/models.list`, { headers: keys.master })).status).toBe(200);
    expect(sent).toBeGreaterThanOrEqual(runsFor(share));
  });
});
