import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, readFileContent, uploadRequests } from '../../clients/grpc/index.js';
import { createSluiceClient, readText, uploadBody } from '../../clients/trpc/index.js';
import { DATABASES } from '../../dev/databases.js';
import { DEPLOYMENT_MODELS } from '../../dev/emulated-stack.js';
import { FileLayoutChunk } from '../../src/db/entities/index.js';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { waitForBatch } from '../support/wait.js';

const line = (id: string, model: string, content = 'hi') =>
  `{"custom_id":"${id}","method":"POST","url":"/v1/chat/completions","body":{"model":${model},"messages":[{"role":"user","content":"${content}"}],"max_tokens":5}}`;

/** Everything a copy upstream loses: BOM, CRLF, blank lines, odd spacing, escaped model names, no final newline. */
const TRICKY = Buffer.from(
  [
    `\uFEFF${line('a', '"gpt-4o-batch"', 'héllo ✓ 日本 \\u00e9')}\r\n`,
    '\r\n',
    '   \n',
    `${line('b', '"gpt-4o-b\\u0061tch"')}\n`,
    `  ${line('c', '"gpt-4o-mini-batch"')}  \r\n`,
    '\n\n',
    line('d', '"gpt\\u002d4o\\u002dmini\\u002dbatch"', '\\"quoted\\" \\\\ back'),
  ].join(''),
);
const TARGETS = ['gpt-4o-batch', 'gpt-4o-mini-batch'];

/** The caller's upload comes back byte for byte over every transport, and no deployment's name ever does. */
describe.each(DATABASES)('an input file is given back as uploaded (%s)', (db) => {
  let s: Stack;
  let grpc: ReturnType<typeof createSluiceGrpcClient>;
  let trpc: ReturnType<typeof createSluiceClient>;

  beforeAll(async () => {
    s = await startStack({ db, timing: { validatingMs: 20, inProgressMs: 20, finalizingMs: 20, cancellingMs: 20 } });
    grpc = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
    trpc = createSluiceClient(s.url, MASTER_KEY);
  });
  afterAll(async () => {
    grpc?.close();
    await s?.close();
  });

  const uploads = {
    rest: async () =>
      (
        await s.client.files.create({
          file: await toFile(TRICKY, 'tricky ñandú.jsonl'),
          purpose: 'batch',
          target_model_names: TARGETS.join(','),
        } as never)
      ).id,
    grpc: async () =>
      (await grpc.files.uploadFile(uploadRequests({ filename: 'tricky.jsonl', purpose: 'batch', targetModelNames: TARGETS }, TRICKY, 17)))
        .id,
    trpc: async () =>
      (
        await trpc.files.uploadStream.mutate(
          uploadBody({ filename: 'tricky.jsonl', purpose: 'batch', target_model_names: TARGETS }, TRICKY),
        )
      ).id,
  };
  const downloads = {
    rest: async (id: string) => Buffer.from(await (await s.client.files.content(id)).arrayBuffer()),
    grpc: async (id: string) => readFileContent(grpc.files.downloadFileContent({ fileId: id })),
    trpc: async (id: string) => Buffer.from(await readText(await trpc.files.download.query({ file_id: id }))),
  };

  it.each(Object.keys(uploads) as (keyof typeof uploads)[])('uploaded over %s: the same bytes over REST, gRPC and tRPC', async (via) => {
    const id = await uploads[via]();
    // Five copies upstream, each naming its deployment's model, none with the BOM or the blank lines.
    const copies = [s.east, s.west, s.openai].flatMap((e) => [...e.files.values()].slice(-1));
    expect(copies.every((c) => !c.content.includes(TRICKY.subarray(0, 3)))).toBe(true);
    for (const [name, download] of Object.entries(downloads)) {
      const back = await download(id);
      expect({ name, back: back.toString('latin1') }).toEqual({ name, back: TRICKY.toString('latin1') });
      for (const model of DEPLOYMENT_MODELS) expect(back.toString()).not.toMatch(new RegExp(`"${model}"`));
    }
    const size = (await s.client.files.retrieve(id)).bytes;
    expect(size).toBe(TRICKY.length);
    expect(await s.gateway.gw.em().count(FileLayoutChunk, { fileId: id })).toBeGreaterThan(0);
    await s.client.files.delete(id);
    expect(await s.gateway.gw.em().count(FileLayoutChunk, { fileId: id })).toBe(0); // deleted with the file
  });

  it("names an output file after our batch ID and gives its lines the group's name, not the deployment's", async () => {
    const file = await s.client.files.create({
      file: await toFile(Buffer.from(`${line('a', '"gpt-4o-batch"')}\n`), 'in.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    const batch = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const upstreamIds = [...s.east.batches.keys(), ...s.west.batches.keys()];
    const done = await waitForBatch(s.client, batch.id);
    expect(done.status).toBe('completed');
    const out = await s.client.files.retrieve(done.output_file_id!);
    expect(out.filename).toBe(`${batch.id}_output.jsonl`);
    for (const upstream of upstreamIds) expect(out.filename).not.toContain(upstream.replace(/^batch_/, ''));
    const text = await (await s.client.files.content(out.id)).text();
    expect(JSON.parse(text.split('\n')[0]).response.body.model).toBe('gpt-4o-batch');
    for (const model of DEPLOYMENT_MODELS) expect(text).not.toContain(`"${model}"`);
  });

  it("answers 404 with our ID, not the provider's, when the copies are gone upstream", async () => {
    const file = await s.client.files.create({
      file: await toFile(Buffer.from(`${line('a', '"gpt-4o-batch"')}\n`), 'gone.jsonl'),
      purpose: 'batch',
      target_model_names: 'gpt-4o-batch',
    } as never);
    const raw = [s.east, s.west].map((e) => [...e.files.keys()].at(-1)!);
    s.east.files.delete(raw[0]);
    s.west.files.delete(raw[1]);
    const err = await s.client.files.content(file.id).catch((e) => e);
    expect(err.status).toBe(404);
    expect(err.message).toContain(file.id);
    for (const id of raw) expect(err.message).not.toContain(id);
  });
});
