import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src/config/types.js';
import { costOf } from '../../../src/domain/cost/record-batch-cost.js';
import { resolvePrice, tablePrice } from '../../../src/domain/cost/prices.js';

const vertexDeployment = (extra: Partial<Deployment> = {}): Deployment =>
  ({
    id: 'v',
    modelGroup: 'g',
    provider: 'vertex_ai',
    model: 'gemini-2.5-flash',
    apiBase: 'x',
    apiKey: '',
    timeoutMs: 1,
    ...extra,
  }) as Deployment;

describe('Gemini batch prices on Vertex', () => {
  it('matches modelVersion names, dated ones by their longest prefix (flash-lite is not flash)', () => {
    const perMillion = (model: string) => {
      const p = tablePrice(model)!;
      return {
        input: Math.round(p.input * 1e9) / 1e3,
        output: Math.round(p.output * 1e9) / 1e3,
        cached: Math.round((p.cachedInput ?? NaN) * 1e9) / 1e3,
      };
    };
    expect(perMillion('gemini-2.5-flash')).toEqual({ input: 0.15, output: 1.25, cached: 0.03 });
    expect(tablePrice('gemini-2.5-flash-001')).toEqual(tablePrice('gemini-2.5-flash'));
    expect(perMillion('gemini-2.5-flash-lite-001')).toEqual({ input: 0.05, output: 0.2, cached: 0.01 });
    expect(perMillion('gemini-2.5-pro')).toEqual({ input: 0.625, output: 5, cached: 0.125 });
  });

  it('bills cached tokens at the cache rate (no batch discount on top) and thinking as output', () => {
    const price = resolvePrice(vertexDeployment(), 'gemini-2.5-flash-001');
    expect(price.source).toBe('table');
    const cost = costOf({ requests: 1, inputTokens: 1000, cachedInputTokens: 400, outputTokens: 100, reasoningTokens: 20 }, price);
    expect(cost).toBeCloseTo(600 * 0.15e-6 + 400 * 0.03e-6 + 100 * 1.25e-6, 15);
  });

  it('model_info *_cost_per_token_batches override the table', () => {
    const price = resolvePrice(vertexDeployment({ inputCostPerTokenBatches: 1e-6 }), 'gemini-2.5-flash-001');
    expect(price).toMatchObject({ source: 'config', input: 1e-6, output: 1.25e-6 });
  });
});
