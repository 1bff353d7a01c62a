import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createSign } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { JWT } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVertexEmulator, type VertexEmulator } from '../../dev/emulators/index.js';

/** The emulator driven by Google's own libraries, as the provider drives it. */
let vertex: VertexEmulator;
let jwt: JWT;
let storage: Storage;

function jwtFor(key: VertexEmulator['serviceAccountKey']): JWT {
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  });
  // google-auth-library posts to Google's token URL; the key's token_uri says where the token endpoint is.
  client.transporter.interceptors.request.add({
    resolved: async (opts) => {
      if (String(opts.url) === 'https://oauth2.googleapis.com/token') opts.url = new URL(key.token_uri);
      return opts;
    },
  });
  return client;
}

async function api(method: string, path: string, body?: unknown) {
  const { token } = await jwt.getAccessToken();
  const res = await fetch(`${vertex.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/**
 * @google-cloud/storage 8.4 starts resumable sessions without auth on a custom endpoint (it drops
 * useAuthWithCustomEndpoint there); the file's request interceptors do reach that request, as in BatchBucket.
 */
async function authorized(name: string, bucket = 'b1', client = storage) {
  const file = client.bucket(bucket).file(name);
  const { token } = await jwt.getAccessToken();
  file.interceptors.push({
    request: (opts) => {
      opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
      return opts as typeof opts & { uri: string };
    },
  });
  return file;
}

const jobsPath = () => `/v1/projects/${vertex.project}/locations/${vertex.location}/batchPredictionJobs`;

beforeAll(async () => {
  vertex = await startVertexEmulator({ timing: { pendingMs: 60_000, runningMs: 60_000, cancellingMs: 60_000 } });
  jwt = jwtFor(vertex.serviceAccountKey);
  storage = new Storage({ apiEndpoint: vertex.url, projectId: vertex.project, authClient: jwt, useAuthWithCustomEndpoint: true });
});
afterAll(() => vertex.close());

describe('Vertex emulator: OAuth token endpoint', () => {
  it('issues a token for a JWT signed by the service account, and the library caches it', async () => {
    const before = vertex.tokens.issued;
    const a = await jwt.getAccessToken();
    const b = await jwt.getAccessToken();
    expect(a.token).toMatch(/^ya29\.emu-/);
    expect(b.token).toBe(a.token);
    expect(vertex.tokens.issued - before).toBeLessThanOrEqual(1);
  });

  it('refuses a JWT signed by another key, or with the wrong audience', async () => {
    const other = await startVertexEmulator();
    try {
      const forged = jwtFor({
        ...other.serviceAccountKey,
        client_email: vertex.serviceAccountKey.client_email,
        token_uri: vertex.serviceAccountKey.token_uri,
      });
      await expect(forged.getAccessToken()).rejects.toThrow(/Invalid JWT Signature/);
    } finally {
      await other.close();
    }
    const key = vertex.serviceAccountKey;
    const now = Math.floor(Date.now() / 1000);
    const seg = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${seg({ alg: 'RS256', typ: 'JWT' })}.${seg({ iss: key.client_email, aud: 'https://elsewhere/token', scope: 's', iat: now, exp: now + 3600 })}`;
    const assertion = `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key.private_key).toString('base64url')}`;
    const res = await fetch(key.token_uri, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/aud must be/) });
  });

  it('refuses API calls without a live token (401, Google envelope)', async () => {
    const res = await fetch(`${vertex.url}${jobsPath()}`, { headers: { authorization: 'Bearer ya29.made-up' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });
});

describe('Vertex emulator: Cloud Storage JSON API via @google-cloud/storage', () => {
  it('resumable upload (streamed), metadata, download with checksum validation, list, delete', async () => {
    const file = await authorized('sluice/f1/dep.jsonl');
    const lines = Array.from({ length: 2000 }, (_, i) => `{"request":{"contents":[{"role":"user","parts":[{"text":"line ${i}"}]}]}}\n`);
    await pipeline(Readable.from(lines), file.createWriteStream({ resumable: true, contentType: 'application/jsonl' }));
    const [meta] = await file.getMetadata();
    expect(Number(meta.size)).toBe(Buffer.byteLength(lines.join('')));
    const chunks: Buffer[] = [];
    for await (const c of file.createReadStream()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(lines.join(''));
    const [listed] = await storage.bucket('b1').getFiles({ prefix: 'sluice/f1/' });
    expect(listed.map((f) => f.name)).toEqual(['sluice/f1/dep.jsonl']);
    await file.delete();
    expect(vertex.objects.has('b1/sluice/f1/dep.jsonl')).toBe(false);
    await expect(file.delete()).rejects.toMatchObject({ code: 404 });
  });

  it('chunked resumable upload (308 + Range between chunks) and simple multipart upload', async () => {
    const big = Buffer.alloc(600 * 1024, 'x');
    await (await authorized('chunked')).save(big, { resumable: true, chunkSize: 256 * 1024 });
    expect(vertex.objects.get('b1/chunked')!.data.equals(big)).toBe(true);
    await storage.bucket('b1').file('small').save('hello', { resumable: false, contentType: 'text/plain' });
    expect(vertex.objects.get('b1/small')).toMatchObject({ contentType: 'text/plain' });
    expect(vertex.objects.get('b1/small')!.data.toString()).toBe('hello');
  });

  it('a resumable session started without a token is refused (the library needs the workaround above)', async () => {
    await expect(storage.bucket('b1').file('anon').save('x', { resumable: true })).rejects.toMatchObject({ code: 401 });
  });

  it('injected faults: a 503 on upload is retried by the library', async () => {
    // Uploads are retried only when idempotent: ifGenerationMatch 0 (create, never overwrite), as BatchBucket sends.
    vertex.injectFault({ method: 'PUT', path: '/upload/storage/v1/b/b1/o', status: 503, times: 1 });
    // A fresh client: 8.4 turns autoRetry off on the shared retry options after any unconditional upload.
    const fresh = new Storage({ apiEndpoint: vertex.url, projectId: vertex.project, authClient: jwt, useAuthWithCustomEndpoint: true });
    const file = await authorized('retried', 'b1', fresh);
    await file.save('data', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } });
    expect(vertex.objects.get('b1/retried')!.data.toString()).toBe('data');
    expect(vertex.requests.filter((r) => r.method === 'PUT' && r.path === '/upload/storage/v1/b/b1/o').length).toBeGreaterThanOrEqual(2);
    await expect(file.save('again', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } })).rejects.toMatchObject({ code: 412 });
  });
});

describe('Vertex emulator: batchPredictionJobs', () => {
  const input = (lines: object[]) => Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const line = (id: string, text: string, extra: object = {}) => ({
    request: { contents: [{ role: 'user', parts: [{ text }] }], labels: { sluice_custom_id: id }, ...extra },
  });
  const create = (uri: string) =>
    api('POST', jobsPath(), {
      displayName: 'j',
      model: 'publishers/google/models/gemini-2.5-flash',
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [uri] } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://b2/out/job1' } },
    });

  it('runs a job through its states and writes predictions.jsonl in Gemini output shape with usage', async () => {
    await (await authorized('in.jsonl', 'b2')).save(
      input([line('a', 'hi'), line('fail-b', 'x'), line('c', 'cap', { generationConfig: { maxOutputTokens: 3 } })]),
    );
    const created = await create('gs://b2/in.jsonl');
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ state: 'JOB_STATE_PENDING', model: 'publishers/google/models/gemini-2.5-flash' });
    const id = created.body.name.split('/').pop();
    vertex.advance(id);
    expect((await api('GET', `${jobsPath()}/${id}`)).body.state).toBe('JOB_STATE_RUNNING');
    vertex.advance(id);
    const done = (await api('GET', `${jobsPath()}/${id}`)).body;
    expect(done).toMatchObject({
      state: 'JOB_STATE_SUCCEEDED',
      completionStats: { successfulCount: '2', failedCount: '1', incompleteCount: '0' },
    });
    expect(done.outputInfo.gcsOutputDirectory).toMatch(/^gs:\/\/b2\/out\/job1\/prediction-model-/);
    const name = `${done.outputInfo.gcsOutputDirectory.replace('gs://b2/', '')}/predictions.jsonl`;
    const [bytes] = await storage.bucket('b2').file(name).download();
    const out = bytes
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out[0]).toMatchObject({
      status: '',
      request: { labels: { sluice_custom_id: 'a' } },
      response: { candidates: [{ finishReason: 'STOP' }], usageMetadata: { candidatesTokenCount: 10 } },
    });
    expect(out[1]).toMatchObject({
      status: expect.stringMatching(/INVALID_ARGUMENT/),
      request: { labels: { sluice_custom_id: 'fail-b' } },
    });
    expect(out[1].response).toBeUndefined();
    expect(out[2].response.candidates[0].finishReason).toBe('MAX_TOKENS');
    expect((await api('GET', jobsPath())).body.batchPredictionJobs.some((j: { name: string }) => j.name === done.name)).toBe(true);
  });

  it('cancel: CANCELLING then CANCELLED; a finished job cannot be cancelled; a missing input fails the job', async () => {
    const created = await create('gs://b2/in.jsonl');
    const id = created.body.name.split('/').pop();
    expect((await api('POST', `${jobsPath()}/${id}:cancel`)).status).toBe(200);
    expect(vertex.jobs.get(id)!.state).toBe('JOB_STATE_CANCELLING');
    vertex.advance(id);
    expect(vertex.jobs.get(id)!.state).toBe('JOB_STATE_CANCELLED');
    const again = await api('POST', `${jobsPath()}/${id}:cancel`);
    expect(again.status).toBe(400);
    const missing = await create('gs://b2/nope.jsonl');
    const mid = missing.body.name.split('/').pop();
    vertex.advance(mid);
    expect(vertex.jobs.get(mid)).toMatchObject({ state: 'JOB_STATE_FAILED', error: { code: 3 } });
  });

  it('validates the create request and the project', async () => {
    const bad = await api('POST', jobsPath(), { model: 'gemini-2.5-flash' });
    expect(bad).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT' } } });
    const foreign = await api('GET', `/v1/projects/other/locations/${vertex.location}/batchPredictionJobs`);
    expect(foreign.status).toBe(403);
    expect((await api('GET', `${jobsPath()}/42`)).status).toBe(404);
  });
});
