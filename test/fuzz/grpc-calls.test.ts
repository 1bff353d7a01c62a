import fc from 'fast-check';
import { ClientError, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSluiceGrpcClient, readFileContent, uploadRequests, type SluiceGrpcClient } from '../../clients/grpc/index.js';
import { leakIn } from '../support/leak-patterns.js';
import { chatJsonl, MASTER_KEY, startStack, type Stack } from '../support/stack.js';
import { FUZZ_SEED, fuzzTimeout, runsFor } from './fuzz-runs.js';

/**
 * The gRPC services fuzzed through the generated stubs (issue 8: a 100 KB ID made INTERNAL / RST_STREAM out of a
 * NOT_FOUND). Every generated call answers, within its deadline, with a result or a status that names the
 * caller's mistake: never INTERNAL or UNKNOWN, never a long message, never a leak in it.
 */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '\u0000',
      'a\u0000',
      '\ud800',
      'x'.repeat(300),
      'ñ'.repeat(70),
      'f'.repeat(100_000),
      'file-aaaaaaaaaaaaaaaaaaaaaaaa',
      'batch_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'gpt-4o-batch',
      'batch',
      '/v1/chat/completions',
      '24h',
    ),
  },
);
const int32 = fc.oneof(fc.integer({ min: -5, max: 20_000 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0));

type Call = (c: SluiceGrpcClient, signal: AbortSignal) => Promise<unknown>;

const call: fc.Arbitrary<[string, Call]> = fc.oneof(
  text.map((id): [string, Call] => ['getFile', (c, signal) => c.files.getFile({ fileId: id }, { signal })]),
  text.map((id): [string, Call] => ['deleteFile', (c, signal) => c.files.deleteFile({ fileId: id }, { signal })]),
  text.map((id): [string, Call] => [
    'downloadFileContent',
    (c, signal) => readFileContent(c.files.downloadFileContent({ fileId: id }, { signal })),
  ]),
  text.map((id): [string, Call] => ['getBatch', (c, signal) => c.batches.getBatch({ batchId: id }, { signal })]),
  text.map((id): [string, Call] => ['cancelBatch', (c, signal) => c.batches.cancelBatch({ batchId: id }, { signal })]),
  fc
    .record({
      purpose: fc.option(text, { nil: undefined }),
      limit: fc.option(int32, { nil: undefined }),
      after: fc.option(text, { nil: undefined }),
      order: fc.option(text, { nil: undefined }),
    })
    .map((r): [string, Call] => ['listFiles', (c, signal) => c.files.listFiles(r, { signal })]),
  fc
    .record({
      limit: fc.option(int32, { nil: undefined }),
      after: fc.option(text, { nil: undefined }),
      targetModelNames: fc.array(text, { maxLength: 4 }),
    })
    .map((r): [string, Call] => ['listBatches', (c, signal) => c.batches.listBatches(r, { signal })]),
  fc
    .record({
      inputFileId: text,
      endpoint: text,
      completionWindow: text,
      metadata: fc.dictionary(text, text, { maxKeys: 20 }),
      outputExpiresAfter: fc.option(fc.record({ anchor: text, seconds: fc.oneof(int32, fc.constant(3600)) }), { nil: undefined }),
    })
    .map((r): [string, Call] => ['createBatch', (c, signal) => c.batches.createBatch(r, { signal })]),
  fc
    .tuple(
      fc.record({ filename: text, purpose: text, targetModelNames: fc.array(text, { maxLength: 3 }) }),
      fc.oneof(fc.constant(chatJsonl(2)), text),
    )
    .map(([meta, content]): [string, Call] => ['uploadFile', (c, signal) => c.files.uploadFile(uploadRequests(meta, content), { signal })]),
);

// CANCELLED is what the 15 s AbortSignal gives: a call that hung.
const BAD = new Set([Status.INTERNAL, Status.UNKNOWN, Status.DATA_LOSS, Status.UNIMPLEMENTED, Status.DEADLINE_EXCEEDED, Status.CANCELLED]);

describe('fuzzing the gRPC services (SQLite)', () => {
  let s: Stack;
  let c: SluiceGrpcClient;
  const codes = new Map<string, number>();

  beforeAll(async () => {
    s = await startStack({ db: 'sqlite' });
    c = createSluiceGrpcClient(s.grpcAddress, MASTER_KEY);
  });
  afterAll(async () => {
    c?.close();
    await s?.close();
    console.info(`gRPC fuzz: ${[...codes.values()].reduce((a, b) => a + b, 0)} calls; ${JSON.stringify(Object.fromEntries(codes))}`);
  });

  it(
    'answers every call with a result or a status naming the caller’s mistake',
    async () => {
      await fc.assert(
        fc.asyncProperty(call, async ([name, run]) => {
          try {
            await run(c, AbortSignal.timeout(15_000));
            codes.set('OK', (codes.get('OK') ?? 0) + 1);
          } catch (err) {
            if (!(err instanceof ClientError)) throw err;
            codes.set(Status[err.code], (codes.get(Status[err.code]) ?? 0) + 1);
            if (BAD.has(err.code)) throw new Error(`${name} → ${Status[err.code]}: ${err.details.slice(0, 300)}`);
            expect(err.details.length, `${name}: a ${err.details.length}-character message`).toBeLessThan(1200);
            expect(leakIn(err.details), `${name}: ${err.details.slice(0, 300)}`).toBeNull();
          }
        }),
        { numRuns: runsFor(0.05), seed: FUZZ_SEED },
      );
    },
    fuzzTimeout(0.05),
  );
});
