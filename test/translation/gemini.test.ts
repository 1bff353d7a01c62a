import { describe, expect, it } from 'vitest';
import { translatorFor, UntranslatableLine } from '../../src/translation/index.js';
import { customIdFromLabels, customIdLabels } from '../../src/translation/gemini/custom-id-labels.js';
import { rejectedFixtures, requestFixtures, responseFixtures } from './gemini-fixtures.js';

const gemini = translatorFor('vertex_ai')!;
const line = (body: Record<string, unknown>, url = '/v1/chat/completions', custom_id = 'req-1') => ({
  custom_id,
  method: 'POST' as const,
  url,
  body: body as never,
});

describe('translatorFor', () => {
  it('has a translator for vertex_ai and none for the OpenAI-format providers', () => {
    expect(gemini).toBeTruthy();
    expect(translatorFor('openai')).toBeNull();
    expect(translatorFor('azure')).toBeNull();
  });
});

describe('OpenAI line → Gemini line', () => {
  for (const f of requestFixtures) {
    it(f.name, () => {
      const out = JSON.parse(gemini.toProviderLine(line(f.body)));
      expect(out).toEqual({ request: { ...f.request, labels: { sluice_custom_id: 'req-1' } } });
    });
  }

  for (const f of rejectedFixtures) {
    it(`refuses ${f.name}`, () => {
      let thrown: unknown;
      try {
        gemini.toProviderLine(line(f.body, f.url));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UntranslatableLine);
      expect((thrown as UntranslatableLine).param).toBe(f.param);
      expect((thrown as UntranslatableLine).message).toBe(f.message);
    });
  }

  it('null parameters count as absent', () => {
    const out = JSON.parse(
      gemini.toProviderLine(line({ model: 'g', messages: [{ role: 'user', content: 'x' }], logprobs: null, temperature: null })),
    );
    expect(out.request.generationConfig).toBeUndefined();
  });
});

describe('custom_id in labels', () => {
  it('round-trips label-safe IDs readably and any other ID hex-encoded', () => {
    expect(customIdLabels('request-1')).toEqual({ sluice_custom_id: 'request-1' });
    for (const id of ['Request 1', 'ünïcødé/ID', 'x'.repeat(500), 'a'.repeat(64)]) {
      const labels = customIdLabels(id)!;
      for (const [k, v] of Object.entries(labels)) {
        expect(k).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
        expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
      }
      expect(customIdFromLabels(labels)).toBe(id);
    }
  });

  it('refuses an ID too long for the labels Vertex allows, naming custom_id', () => {
    expect(() =>
      gemini.toProviderLine(line({ model: 'g', messages: [{ role: 'user', content: 'x' }] }, undefined, 'x'.repeat(2000))),
    ).toThrow(/custom_id is longer than 1488 bytes/);
  });
});

describe('Gemini output line → OpenAI line', () => {
  for (const f of responseFixtures) {
    it(f.name, () => {
      const result = gemini.fromProviderLine(JSON.stringify(f.gemini))!;
      expect(result.kind).toBe(f.kind);
      expect(result.line).toMatchObject(f.expect);
      expect(result.line.id).toMatch(/^batch_req_[0-9a-f]{24}$/);
    });
  }

  it('gives the same line the same ID every time (re-reading an output is stable)', () => {
    const text = JSON.stringify(responseFixtures[0].gemini);
    expect(gemini.fromProviderLine(text)!.line.id).toBe(gemini.fromProviderLine(text)!.line.id);
  });

  it('skips a line that is not JSON', () => {
    expect(gemini.fromProviderLine('{nope')).toBeNull();
  });
});
