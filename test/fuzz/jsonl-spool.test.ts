import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/domain/errors.js';
import { spoolBatchInput } from '../../src/domain/jsonl/spool.js';
import { FUZZ_SEED, fuzzTimeout, runsFor } from './fuzz-runs.js';

/**
 * The JSONL validator, fuzzed directly: any bytes in any chunking either spool (and can be read back) or fail
 * with a GatewayError that names the line (or the file-wide rule it broke). Never another error: a TypeError
 * or RangeError here is a 500 for an upload, or worse, a gRPC INTERNAL.
 */
const FILE_WIDE = new Set(['too_many_tasks', 'empty_file', 'file_too_large']);

const ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings', '/v1/responses', '/v1/completions', '/v1/nope', ''];

/** A line near the valid shape, with any field swapped for something else, or any JSON, or any text. */
const validish = fc
  .record(
    {
      custom_id: fc.oneof(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })),
      method: fc.oneof({ weight: 5, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
      url: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ENDPOINTS) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
      body: fc.oneof(
        {
          weight: 5,
          arbitrary: fc.record(
            {
              model: fc.oneof(fc.constantFrom('g', 'gpt-4o-batch', 'ñ', ''), fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
              messages: fc.jsonValue({ maxDepth: 3 }),
            },
            { requiredKeys: [] },
          ),
        },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      ),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

/** Lines as text: the serialised ones, with escapes, duplicate keys, BOMs and broken bits spliced in. */
const VALID = '\u0001valid';
const lineText = fc.oneof(
  { weight: 12, arbitrary: fc.constant(VALID) }, // a valid line, made unique below
  { weight: 6, arbitrary: validish },
  { weight: 1, arbitrary: validish.map((l) => l.replace('"model"', '"mo\\u0064el"').replace('"body"', '"bo\\u0064y"')) },
  { weight: 1, arbitrary: fc.tuple(validish, validish).map(([a, b]) => `${a.slice(0, -1)},${b.slice(1)}`) }, // duplicate keys
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  // Deep nesting (issue 8: 10k levels overflowed the stack), inside body or beside it, with an escaped key.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 200, max: 700 }), fc.constantFrom('body', 'bo\\u0064y', 'x'), fc.constantFrom('{"a":', '['))
      .map(
        ([n, key, open]) =>
          `{"custom_id":"deep","method":"POST","url":"/v1/chat/completions","${key}":{"model":"g","m":${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}}}`,
      ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\r', '\uFEFF', '{', '}', 'null', '[]', '{"custom_id":"a"', '\u0000', '\ud800') },
);

const file = fc
  .tuple(
    fc.array(lineText, { minLength: 0, maxLength: 8 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
    fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
  )
  .map(([generated, eol, finalNewline, cuts]) => {
    const lines = generated.map((l, i) =>
      l === VALID
        ? JSON.stringify({
            custom_id: `r${i}`,
            method: 'POST',
            url: '/v1/chat/completions',
            body: { model: i % 3 ? 'g' : 'ñ', messages: [{ role: 'user', content: 'hé ✓' }] },
          })
        : l,
    );
    const bytes = Buffer.from(lines.join(eol) + (finalNewline ? eol : ''));
    // Cut into chunks at arbitrary byte offsets (inside multi-byte characters too).
    const chunks: Buffer[] = [];
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const size = cuts[i % cuts.length];
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    return chunks;
  });

async function* stream(chunks: Buffer[]) {
  for (const c of chunks) yield c;
}

describe('fuzzing the JSONL validator (domain/jsonl/spool.ts)', () => {
  it(
    'accepts, or refuses with a GatewayError naming the line; nothing else',
    async () => {
      let accepted = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(file, fc.constantFrom(3, 8, 50_000), async (chunks, maxLines) => {
          let spool: Awaited<ReturnType<typeof spoolBatchInput>> | undefined;
          try {
            spool = await spoolBatchInput(stream(chunks), { maxBytes: 4096, maxLines });
          } catch (err) {
            if (!(err instanceof GatewayError)) throw new Error(`not a GatewayError: ${(err as Error)?.stack ?? String(err)}`);
            expect(['invalid_request', 'payload_too_large']).toContain(err.kind);
            if (!FILE_WIDE.has(err.code ?? '')) expect(err.message).toMatch(/line \d+/);
            refused++;
            return;
          }
          try {
            accepted++;
            expect(spool.lines).toBeGreaterThan(0);
            let bytes = 0;
            for await (const c of spool.read('deployment-model')) bytes += c.length;
            expect(bytes).toBe(spool.bytesFor('deployment-model'));
          } finally {
            await spool.dispose();
          }
        }),
        { numRuns: runsFor(0.06), seed: FUZZ_SEED },
      );
      console.info(`JSONL fuzz: ${accepted} accepted, ${refused} refused`);
      expect(accepted).toBeGreaterThan(0);
    },
    fuzzTimeout(0.06),
  );
});
