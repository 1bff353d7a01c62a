import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src/config/types.js';
import { resolvePrice, tablePrice } from '../../../src/domain/cost/prices.js';
import { costOf } from '../../../src/domain/cost/record-batch-cost.js';
import { sumOutputUsage } from '../../../src/domain/cost/usage.js';

const fixture = (name: string) => new URL(`../../fixtures/cost/${name}`, import.meta.url);

/** The file in 7-byte chunks: lines are split across chunks, as a network stream would. */
async function* smallChunks(name: string): AsyncGenerator<Uint8Array> {
  const bytes = readFileSync(fixture(name));
  for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
}

const deployment = (prices: Partial<Deployment> = {}): Deployment => ({
  id: 'd',
  modelGroup: 'g',
  provider: 'azure',
  model: 'gpt-4o-east',
  apiBase: 'http://127.0.0.1',
  apiKey: 'k',
  timeoutMs: 1000,
  ...prices,
});

/** The cost of a whole output through the same steps as recordBatchCost: per model, price, sum. */
async function costOfFile(name: string, d: Deployment) {
  const usage = await sumOutputUsage(createReadStream(fixture(name)));
  let cost = 0;
  for (const [model, u] of usage.byModel) cost += costOf(u, resolvePrice(d, model));
  return { usage, cost };
}

describe('the batch output usage summer (hand-computed totals)', () => {
  it('chat completions: prompt/completion tokens with cached and reasoning details; a 400 line is not billed', async () => {
    // Lines 1, 2, 4 are 200: prompt 100 + 250 + 7 = 357 (cached 40), completion 20 + 50 + 3 = 73 (reasoning 10).
    // Line 3 is a 400 carrying a usage of 999/999 that must not count.
    const usage = await sumOutputUsage(smallChunks('chat.jsonl'));
    expect(usage.total).toEqual({ requests: 3, inputTokens: 357, cachedInputTokens: 40, outputTokens: 73, reasoningTokens: 10 });
    expect(usage.lines).toBe(4);
    expect(usage.unbilledLines).toBe(1);
    expect([...usage.byModel.keys()]).toEqual(['gpt-4o-2024-08-06']);
    // gpt-4o at the table's batch price ($1.25 / $5 per 1M; no cached batch rate, so cached at the input rate):
    // 357 × 1.25e-6 + 73 × 5e-6 = 0.00044625 + 0.000365 = 0.00081125
    const { cost } = await costOfFile('chat.jsonl', deployment());
    expect(cost).toBeCloseTo(0.00081125, 15);
  });

  it('responses: input/output tokens with details; a request that never ran is not billed', async () => {
    // input 1000 + 500 = 1500 (cached 600), output 200 + 100 = 300 (reasoning 150); line 3 has response null.
    const usage = await sumOutputUsage(smallChunks('responses.jsonl'));
    expect(usage.total).toEqual({ requests: 2, inputTokens: 1500, cachedInputTokens: 600, outputTokens: 300, reasoningTokens: 150 });
    expect(usage.unbilledLines).toBe(1);
    // gpt-5 batch: $0.625 input, $0.0625 cached input, $5 output per 1M:
    // 900 × 0.625e-6 + 600 × 0.0625e-6 + 300 × 5e-6 = 0.0005625 + 0.0000375 + 0.0015 = 0.0021
    const { cost } = await costOfFile('responses.jsonl', deployment({ model: 'gpt-5' }));
    expect(cost).toBeCloseTo(0.0021, 15);
  });

  it('embeddings: prompt tokens only; a 500 line is not billed', async () => {
    const usage = await sumOutputUsage(smallChunks('embeddings.jsonl'));
    expect(usage.total).toEqual({ requests: 2, inputTokens: 42, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 });
    expect(usage.unbilledLines).toBe(1);
    // text-embedding-3-small batch: $0.01 per 1M → 42 × 1e-8 = 4.2e-7
    const { cost } = await costOfFile('embeddings.jsonl', deployment({ model: 'text-embedding-3-small' }));
    expect(cost).toBeCloseTo(4.2e-7, 18);
  });

  it("cancelled partial output (CRLF, a blank line, no final newline): what ran is billed at the deployment's own prices", async () => {
    const usage = await sumOutputUsage(smallChunks('cancelled-partial.jsonl'));
    expect(usage.total).toEqual({ requests: 2, inputTokens: 30, cachedInputTokens: 0, outputTokens: 10, reasoningTokens: 0 });
    expect(usage.lines).toBe(2);
    // Configured prices win over the table (gpt-4o-mini would be $0.075 / $0.30):
    // 30 × 1.25e-6 + 10 × 5e-6 = 0.0000375 + 0.00005 = 0.0000875
    const configured = deployment({ inputCostPerTokenBatches: 0.00000125, outputCostPerTokenBatches: 0.000005 });
    expect((await costOfFile('cancelled-partial.jsonl', configured)).cost).toBeCloseTo(0.0000875, 15);
    // Without configured prices: the table's gpt-4o-mini → 30 × 0.075e-6 + 10 × 0.3e-6 = 0.00000525
    expect((await costOfFile('cancelled-partial.jsonl', deployment())).cost).toBeCloseTo(0.00000525, 15);
  });

  it('an empty or garbage output bills nothing and never throws', async () => {
    const empty = await sumOutputUsage((async function* () {})());
    expect(empty.total.requests).toBe(0);
    const garbage = await sumOutputUsage(
      (async function* () {
        yield Buffer.from('not json\n{"response":{"status_code":200,"body":{"usage":{"prompt_tokens":-5,"completion_tokens":"7"}}}}\n');
      })(),
    );
    expect(garbage.total).toEqual({ requests: 1, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 });
    expect(garbage.unbilledLines).toBe(1);
  });
});

describe('the built-in batch price table', () => {
  it('matches dated snapshots to their longest listed prefix', () => {
    expect(tablePrice('gpt-4o-2024-08-06')).toEqual(tablePrice('gpt-4o'));
    expect(tablePrice('gpt-4o-mini-2024-07-18')).toEqual(tablePrice('gpt-4o-mini'));
    expect(tablePrice('gpt-4o-mini-2024-07-18')).not.toEqual(tablePrice('gpt-4o'));
    expect(tablePrice('gpt-4o-2024-05-13')!.input).toBeCloseTo(2.5e-6, 15);
    expect(tablePrice('gpt-4.1-nano-2025-04-14')).toEqual(tablePrice('gpt-4.1-nano'));
    expect(tablePrice('GPT-5-2025-08-07')).toEqual(tablePrice('gpt-5'));
    expect(tablePrice('gpt-4o')!.input).toBeCloseTo(1.25e-6, 15);
    expect(tablePrice('gpt-4o')!.output).toBeCloseTo(5e-6, 15);
    expect(tablePrice('gpt-4oops')).toBeUndefined();
    expect(tablePrice('llama-3-70b')).toBeUndefined();
  });

  it("falls back to the deployment's model name, and bills an unknown model at 0", () => {
    expect(resolvePrice(deployment({ model: 'gpt-4o-mini' }), '').source).toBe('table');
    expect(resolvePrice(deployment({ model: 'my-own-model' }), 'my-own-model')).toEqual({ input: 0, output: 0, source: 'none' });
    const onlyInput = resolvePrice(deployment({ inputCostPerTokenBatches: 1e-6 }), 'gpt-4o-2024-08-06');
    expect(onlyInput).toEqual({ input: 1e-6, output: 5e-6, source: 'config' });
  });
});
