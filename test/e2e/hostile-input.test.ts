import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient } from '../../clients/grpc/index.js';
import { DATABASES } from '../../dev/databases.js';
import { VirtualKey } from '../../src/db/entities/index.js';
import { cleanError } from '../support/error-body.js';
import { multipartHead, rawExchange, TRUNCATED_FORM } from '../support/raw-http.js';
import { fatalErrorIn, spawnSluice, writeConfig, type SluiceProcess } from '../support/sluice-process.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';

/**
 * Issue 8's hostile-input reproductions that each answered 500 (or leaked, or lost a file): every one is now a
 * 4xx in OpenAI's envelope with nothing saved and nothing sent upstream. Both databases: PostgreSQL is the one
 * that refused NULs and long values (as a 500), SQLite the one that kept what it should not have.
 */
describe.each(DATABASES)('hostile input is a clean 4xx (%s)', (db) => {
  let s: Stack;
  const auth = { authorization: `Bearer ${MASTER_KEY}` };
  const json = { ...auth, 'content-type': 'application/json' };

  beforeAll(async () => {
    s = await startStack({ db });
  });
  afterAll(async () => {
    await s?.close();
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = json) {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }
  async function expectError(res: { status: number; text: string }, status: number, code?: string) {
    expect(res.status, res.text).toBe(status);
    const error = cleanError(res.text);
    if (code) expect(error.code).toBe(code);
    return error;
  }
  const keyCount = () => s.gateway.gw.em().count(VirtualKey, {});
  const upstreamBatchCreates = () =>
    [s.east, s.west, s.openai].reduce((n, e) => n + e.requests.filter((r) => r.method === 'POST' && /\/batches$/.test(r.path)).length, 0);

  describe('key durations', () => {
    it.each([
      ['999999999w', '999999999w'],
      ['100000000mo', '100000000mo'],
      ['400-digit seconds', `${'9'.repeat(400)}s`],
      ['3651d', '3651d'],
    ])('duration %s on /key/generate → 400, no key saved', async (_label, duration) => {
      const before = await keyCount();
      await expectError(await call('POST', '/key/generate', { duration }), 400, 'invalid_value');
      expect(await keyCount()).toBe(before);
    });

    it('a too-large duration on /key/update → 400, the key unchanged', async () => {
      const created = JSON.parse((await call('POST', '/key/generate', { duration: '30d' })).text);
      await expectError(await call('POST', '/key/update', { key: created.token, duration: '999999999w' }), 400, 'invalid_value');
      const info = JSON.parse((await call('GET', `/key/info?key=${created.token}`)).text);
      expect(info.info.expires).toBe(created.expires);
    });

    it('a key saved before durations were bounded does not break /key/info or /key/list', async () => {
      const created = JSON.parse((await call('POST', '/key/generate', {})).text);
      // What the unbounded parser stored for "999999999w" (SQLite kept it; PostgreSQL's int column holds at most 2^31-1).
      const far = db === 'sqlite' ? 1_795_000_000 + 999_999_999 * 604_800 : 2_147_483_647;
      await s.gateway.gw.em().nativeUpdate(VirtualKey, { id: created.token }, { expiresAt: far });
      expect((await call('GET', `/key/info?key=${created.token}`)).status).toBe(200);
      const list = await call('GET', '/key/list?return_full_object=true');
      expect(list.status, list.text).toBe(200);
    });
  });

  describe('NUL bytes and over-long strings never reach SQL', () => {
    const nul = '%00';
    it.each([
      ['GET', `/v1/files?purpose=${nul}`],
      ['GET', `/v1/files?after=${nul}`],
      ['GET', `/v1/batches?target_model_names=${nul}`],
      ['GET', `/v1/batches?after=a${nul}`],
      ['GET', `/team/info?team_id=${nul}`],
      ['GET', `/key/info?key=${nul}`],
      ['GET', `/key/list?user_id=${nul}`],
      ['GET', `/key/list?team_id=${nul}`],
      ['GET', `/spend/logs?batch_id=${nul}`],
      ['GET', `/spend/logs?user_id=${nul}`],
      ['GET', `/spend/logs?api_key=${nul}`],
      ['GET', '/spend/logs?start_date=<400 nines>'],
      ['GET', '/spend/logs?end_date=<400 nines>'],
      ['GET', `/azure/v1/files?after=${nul}`],
    ])('%s %s → 400', async (method, path) => {
      await expectError(await call(method, path.replace('<400 nines>', '9'.repeat(400))), 400);
    });

    it.each([
      '/v1/files/%00',
      '/v1/files/file-abc%00',
      '/v1/batches/%00',
      '/azure/v1/files/%00',
      '/openai/v1/batches/%00',
      '/azure/v1/files/file%20with%20spaces',
    ])('GET %s → the 404 of an unknown ID', async (path) => {
      await expectError(await call('GET', path), 404, 'not_found');
    });

    it.each([
      ['/key/generate', { key_alias: 'a\u0000' }],
      ['/key/generate', { user_id: 'u\u0000' }],
      ['/key/generate', { user_id: '<256 characters>' }],
      ['/key/generate', { key_alias: '<256 characters>' }],
      ['/key/generate', { models: ['gpt-4o-batch\u0000'] }],
      ['/key/generate', { metadata: { note: 'x\u0000' } }],
      ['/key/generate', { metadata: { 'x\u0000': 1 } }],
      ['/team/new', { team_alias: 't\u0000' }],
      ['/team/new', { team_alias: '<256 characters>' }],
      ['/team/new', { metadata: { note: 'x\u0000' } }],
      // Found by the fuzzer (random seed): valid JSON that PostgreSQL's json columns refuse.
      ['/team/new', { metadata: { '': '\ud800' } }],
      ['/key/generate', { metadata: { '\udc00': 1 } }],
      ['/key/generate', { models: ['\ud800'] }],
    ])('POST %s %j → 400, nothing saved', async (path, body) => {
      const before = await keyCount();
      await expectError(await call('POST', path, JSON.stringify(body).replace('<256 characters>', 'x'.repeat(256))), 400);
      expect(await keyCount()).toBe(before);
    });

    it('idempotency_key with a NUL → 400 before any provider call', async () => {
      const before = upstreamBatchCreates();
      await expectError(
        await call('POST', '/v1/batches', {
          input_file_id: 'file-aaaaaaaaaaaaaaaaaaaaaaaa',
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          idempotency_key: 'k\u0000',
        }),
        400,
      );
      expect(upstreamBatchCreates()).toBe(before);
    });
  });

  describe('metadata', () => {
    const deep = (n: number) => {
      let v: unknown = 'x';
      for (let i = 0; i < n; i++) v = { a: v };
      return v as Record<string, unknown>;
    };
    it.each(['/key/generate', '/team/new'])('nested 10,000 deep on %s → 400', async (path) => {
      const before = await keyCount();
      const nested = `${'{"a":'.repeat(10_000)}"x"${'}'.repeat(10_000)}`; // JSON.stringify itself would overflow here
      await expectError(await call('POST', path, `{"metadata":${nested}}`), 400);
      expect(await keyCount()).toBe(before);
    });
    it('nested 5 deep is fine, 6 is not; 17 KB is not', async () => {
      expect((await call('POST', '/key/generate', { metadata: deep(5) })).status).toBe(200);
      await expectError(await call('POST', '/key/generate', { metadata: deep(6) }), 400);
      await expectError(await call('POST', '/team/new', { metadata: { big: 'x'.repeat(17 * 1024) } }), 400);
    });

    it.each([
      ['a NUL in a value', { note: 'x\u0000' }],
      ['17 pairs', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
      ['a 65-character key', { ['k'.repeat(65)]: 'v' }],
      ['a 513-character value', { k: 'v'.repeat(513) }],
      ['a number value', { k: 1 }],
      ['a nested value', { k: { deep: 'v' } }],
    ])('batch metadata with %s → 400, no upstream batch', async (_name, metadata) => {
      const file = await s.client.files.create({ file: new File([chatJsonl(2)], 'm.jsonl'), purpose: 'batch' });
      const before = upstreamBatchCreates();
      for (const path of ['/v1/batches', '/azure/v1/batches']) {
        const res = await call('POST', path, {
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          metadata,
        });
        const error = await expectError(res, 400);
        expect(error.param).toMatch(/^metadata/);
      }
      expect(upstreamBatchCreates()).toBe(before);
    });
  });

  describe('path IDs and framework errors', () => {
    it.each([101, 255, 256, 1024, 1025, 5000])('a %i-character ID in the path → 404 in OpenAI envelope', async (n) => {
      for (const path of [
        `/v1/files/file-${'a'.repeat(n)}`,
        `/v1/batches/batch_${'a'.repeat(n)}/cancel`,
        `/azure/v1/files/${'a'.repeat(n)}`,
      ]) {
        const method = path.endsWith('/cancel') ? 'POST' : 'GET';
        const error = await expectError(await call(method, path, method === 'POST' ? {} : undefined), 404, 'not_found');
        expect(error.message.length).toBeLessThan(300);
      }
    });
    it('bad JSON → 400', async () => {
      await expectError(await call('POST', '/v1/batches', '{"input_file_id": '), 400, 'invalid_json');
    });
    it('a content type it does not read → 415', async () => {
      await expectError(
        await call('POST', '/v1/batches', 'x=1', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'unsupported_media_type',
      );
      await expectError(
        await call('POST', '/key/generate', 'hello', { ...auth, 'content-type': 'text/plain' }),
        415,
        'unsupported_media_type',
      );
    });
    it('a JSON body over 1 MiB → 413', async () => {
      await expectError(await call('POST', '/v1/batches', JSON.stringify({ x: 'y'.repeat(1024 * 1024) })), 413, 'payload_too_large');
    });
    it('a malformed percent-encoding in the path → 400', async () => {
      await expectError(await call('GET', '/v1/files/%zz'), 400);
    });
    it('an unknown route echoes at most 100 characters of its path', async () => {
      const error = await expectError(await call('GET', `/v1/nothing/${'x'.repeat(5000)}`), 404, 'unknown_route');
      expect(error.message.length).toBeLessThan(200);
    });
  });

  describe('multipart forms', () => {
    const upload = (form: FormData) =>
      fetch(`${s.url}/v1/files`, { method: 'POST', headers: auth, body: form }).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));

    it('keeps a non-ASCII filename', async () => {
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', new Blob([chatJsonl(1)]), 'ñandú.jsonl');
      const res = await upload(form);
      expect(res.status, res.text).toBe(200);
      expect(JSON.parse(res.text).filename).toBe('ñandú.jsonl');
    });

    it('an extra file part before `file` does not hide it', async () => {
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('attachment', new Blob(['ignored']), 'other.txt');
      form.append('file', new Blob([chatJsonl(1)]), 'real.jsonl');
      const res = await upload(form);
      expect(res.status, res.text).toBe(200);
      expect(JSON.parse(res.text).filename).toBe('real.jsonl');
    });

    it('5,000 extra fields → a 400 that says so, not "Missing file"', async () => {
      const form = new FormData();
      form.append('purpose', 'batch');
      for (let i = 0; i < 5000; i++) form.append(`f${i}`, 'x');
      form.append('file', new Blob([chatJsonl(1)]), 'a.jsonl');
      const error = await expectError(await upload(form), 400, 'too_many_form_parts');
      expect(error.message).toMatch(/more than \d+/);
    });

    it('two `file` parts → 400', async () => {
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', new Blob([chatJsonl(1)]), 'a.jsonl');
      form.append('file', new Blob([chatJsonl(1)]), 'b.jsonl');
      await expectError(await upload(form), 400, 'too_many_files');
    });

    it('a NUL in purpose or target_model_names → 400, nothing uploaded', async () => {
      const uploadsBefore = [s.east, s.west].reduce((n, e) => n + e.requests.filter((r) => r.method === 'POST').length, 0);
      for (const [name, value] of [
        ['purpose', 'batch\u0000'],
        ['target_model_names', 'gpt-4o-batch\u0000'],
      ]) {
        const form = new FormData();
        form.append('purpose', 'batch');
        form.append(name, value);
        form.append('file', new Blob([chatJsonl(1)]), 'a.jsonl');
        await expectError(await upload(form), 400);
      }
      expect([s.east, s.west].reduce((n, e) => n + e.requests.filter((r) => r.method === 'POST').length, 0)).toBe(uploadsBefore);
    });
  });

  describe('provider errors', () => {
    it("a provider's own error text is not passed through", async () => {
      const secretish = 'Could not parse multipart form: Malformed part header at http://10.0.0.7/internal';
      s.east.injectFault({
        method: 'POST',
        path: /\/batches$/,
        status: 400,
        body: { error: { message: secretish, type: 'invalid_request_error', code: 'weird code with spaces', param: null } },
      });
      s.west.injectFault({
        method: 'POST',
        path: /\/batches$/,
        status: 400,
        body: { error: { message: secretish, type: 'invalid_request_error', code: null, param: null } },
      });
      try {
        const file = await s.client.files.create({ file: new File([chatJsonl(2)], 'p.jsonl'), purpose: 'batch' });
        const res = await call('POST', '/v1/batches', {
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        });
        expect(res.status).toBe(400);
        const error = cleanError(res.text);
        expect(res.text).not.toMatch(/Malformed|multipart|10\.0\.0\.7/);
        expect(error.code).toBe('upstream_rejected');
        // The provider's words stay in the log, for the operator.
        expect(s.logs.some((l) => l.includes('Malformed part header'))).toBe(true);
      } finally {
        s.east.clearFaults();
        s.west.clearFaults();
      }
    });
  });

  describe('provider failures in our words', () => {
    it.each([
      ['a dropped connection', 503, { dropConnection: true }],
      ['a 500 whose body names an internal URL', 502, { status: 500, body: 'boom at http://127.0.0.1:1/internal/x' }],
    ])('%s → %i, no provider text, URL or host', async (_name, status, fault) => {
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', new Blob([chatJsonl(1)]), 'r.jsonl');
      const uploaded = await fetch(`${s.url}/azure/v1/files`, { method: 'POST', headers: auth, body: form });
      expect(uploaded.status).toBe(200);
      const { id } = (await uploaded.json()) as { id: string };
      s.east.injectFault({ method: 'GET', path: /\/files\//, ...fault });
      try {
        const res = await call('GET', `/azure/v1/files/${id}`);
        await expectError(res, status);
        expect(res.text).not.toMatch(/boom|internal\/x/);
      } finally {
        s.east.clearFaults();
      }
    });
  });

  describe('gRPC', () => {
    it('a 100 KB ID gives NOT_FOUND with a short message', async () => {
      const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
      try {
        for (const call of [
          () => c.files.getFile({ fileId: 'f'.repeat(100_000) }),
          () => c.batches.getBatch({ batchId: 'b'.repeat(100_000) }),
        ]) {
          const err = await call().then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(ClientError);
          expect((err as ClientError).code).toBe(Status.NOT_FOUND);
          expect((err as ClientError).details.length).toBeLessThan(300);
        }
      } finally {
        c.close();
      }
    });

    it('an error whose param is not ASCII (a metadata key) → INVALID_ARGUMENT, not a broken trailer', async () => {
      const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
      try {
        const err = await c.batches
          .createBatch({
            inputFileId: 'file-aaaaaaaaaaaaaaaaaaaaaaaa',
            endpoint: '/v1/chat/completions',
            completionWindow: '24h',
            metadata: { ['ñ'.repeat(70)]: 'v' },
          })
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect((err as ClientError).code).toBe(Status.INVALID_ARGUMENT);
      } finally {
        c.close();
      }
    });

    it('batch metadata with a NUL → INVALID_ARGUMENT before any provider call', async () => {
      const c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
      try {
        const file = await s.client.files.create({ file: new File([chatJsonl(2)], 'g.jsonl'), purpose: 'batch' });
        const before = upstreamBatchCreates();
        const err = await c.batches
          .createBatch({ inputFileId: file.id, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: { note: 'x\u0000' } })
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect((err as ClientError).code).toBe(Status.INVALID_ARGUMENT);
        expect(upstreamBatchCreates()).toBe(before);
      } finally {
        c.close();
      }
    });
  });
});

/**
 * Slow and lying clients against the real process (as `npm start` runs it): a body that stops arriving is a 408
 * in the envelope after the idle timeout (1 s here), its spool is removed, and the process is unharmed.
 */
describe('slow and lying clients (real process)', () => {
  const MASTER = 'sk-master-hostile-input-0123';
  const NOWHERE = 'http://127.0.0.1:9'; // nothing listens: nothing here may reach a provider
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-hostile-input-'));
  let p: SluiceProcess;

  beforeAll(async () => {
    const config = writeConfig({
      model_list: [
        {
          model_name: 'gpt-4o-batch',
          litellm_params: { model: 'azure/gpt-4o', api_base: NOWHERE, api_key: 'k', api_version: '2024-10-21' },
        },
      ],
      general_settings: { master_key: MASTER, request_body_idle_timeout_seconds: 1, request_timeout_seconds: 60 },
    });
    p = await spawnSluice(config, join(tmp, 'sluice.sqlite'), { TMPDIR: tmp });
  });
  afterAll(async () => {
    await p?.kill(); // also asserts that nothing uncaught happened in the process
  });
  const spools = () => readdirSync(tmp).filter((name) => name.startsWith('sluice-'));

  it('a multipart upload whose Content-Length is 10 bytes larger than its body → 408, spool removed', async () => {
    const body = TRUNCATED_FORM;
    const res = await rawExchange(p.url, multipartHead('/v1/files', MASTER, Buffer.byteLength(body) + 10) + body, { timeoutMs: 30_000 });
    expect(res.status, res.body).toBe(408);
    expect(cleanError(res.body).code).toBe('request_timeout');
    for (let waited = 0; spools().length > 0 && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(spools()).toEqual([]);
    expect(p.exitCode()).toBeNull();
  });

  it('a JSON body whose Content-Length is larger than the body → 408', async () => {
    const body = '{"input_file_id":"file-x"';
    const head = `POST /v1/batches HTTP/1.1\r\nHost: sluice\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 10}\r\n\r\n`;
    const res = await rawExchange(p.url, head + body, { timeoutMs: 30_000 });
    expect(res.status, res.body).toBe(408);
    expect(cleanError(res.body).code).toBe('request_timeout');
  });

  it('headers over 16 KiB → 431 in the envelope', async () => {
    const res = await rawExchange(p.url, `GET /v1/files HTTP/1.1\r\nHost: sluice\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(cleanError(res.body).code).toBe('headers_too_large');
  });

  it('bytes that are not HTTP → 400 in the envelope', async () => {
    const res = await rawExchange(p.url, 'GET /v1/files HTTP/1.1\r\nHost: sluice\r\nContent-Length: abc\r\n\r\n');
    expect(res.status).toBe(400);
    cleanError(res.body);
  });

  it('a gRPC call whose ID holds a lone surrogate → NOT_FOUND, the process unharmed', async () => {
    // grpc-js percent-encodes the status message: a lone surrogate in it threw an uncaught URIError (test/fuzz).
    const c = createSluiceGrpcClient(p.grpcAddress!, MASTER);
    try {
      for (const fileId of ['\ud800', `${'a'.repeat(99)}\ud83d\ude00`]) {
        const err = await c.files.getFile({ fileId }, { signal: AbortSignal.timeout(15_000) }).then(
          () => null,
          (e: unknown) => e,
        );
        expect((err as ClientError).code).toBe(Status.NOT_FOUND);
      }
    } finally {
      c.close();
    }
    expect(p.exitCode()).toBeNull();
  });

  it('the process is healthy after all of it', async () => {
    expect((await fetch(`${p.url}/health/liveliness`)).status).toBe(200);
    p.assertNoFatalError();
  });
});

describe('the fatal-error check of spawned gateways (test/support/sluice-process.ts)', () => {
  it.each([
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom') })"],
    ['an unhandled rejection', "Promise.reject(new Error('boom'))"],
    ['an error event with no listener', "new (require('events'))().emit('error', new Error('boom'))"],
  ])('recognises what Node prints for %s', (_name, code) => {
    const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(fatalErrorIn(run.stderr)).not.toBeNull();
  });
  it('and stays quiet on an empty stderr', () => {
    expect(fatalErrorIn('')).toBeNull();
  });
});
