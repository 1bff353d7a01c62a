import { describe, expect, it } from 'vitest';
import { BODY_MODEL_PATH, findModelToken, scanJsonLine } from '../../src/domain/jsonl/model-token.js';

/** Replaces body.model through the raw token, as the spool does, and parses the result. */
function rewrite(line: string, to: string) {
  const buf = Buffer.from(line);
  const t = findModelToken(buf);
  if (!t) return null;
  return JSON.parse(Buffer.concat([buf.subarray(0, t.start), Buffer.from(JSON.stringify(to)), buf.subarray(t.end)]).toString());
}

const cases: [string, string][] = [
  ['plain', '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"g","messages":[]}}'],
  ['body first, spaces', '{ "body" : { "messages" : [ ] , "model" : "g" } , "custom_id" : "a" }'],
  [
    'decoys before',
    '{"model":"top","custom_id":"model","x":{"body":{"model":"deep"}},"body":{"messages":[{"role":"user","content":"\\"model\\": \\"g\\""}],"tools":[{"model":"t"}],"model":"g"}}',
  ],
  ['nested objects inside body', '{"body":{"response_format":{"type":"json_schema","model":"no"},"model":"g","metadata":{"model":"no"}}}'],
  ['numbers, booleans and nulls', '{"n":1.5e3,"b":true,"z":null,"body":{"temperature":0,"stream":false,"model":"g","stop":null}}'],
  ['escaped keys', '{"bo\\u0064y":{"mod\\u0065l":"g"}}'],
  ['escaped quotes and backslashes in strings', '{"a":"\\\\","b":"\\"{\\\\\\"","body":{"x":"\\\\\\"","model":"g"}}'],
  ['unicode around', '{"custom_id":"日本","body":{"messages":[{"content":"✓ \\u00e9"}],"model":"g"}}'],
  ['array at top level key', '{"a":[{"body":{"model":"no"}},[1,2]],"body":{"model":"g"}}'],
];

describe('findModelToken', () => {
  it.each(cases)('%s', (_name, line) => {
    const parsed = JSON.parse(line);
    const out = rewrite(line, 'dep-1');
    expect(out).not.toBeNull();
    parsed.body.model = 'dep-1';
    expect(out).toEqual(parsed);
  });

  it.each([
    ['top level', '{"custom_id":"a","custom_id":"b","body":{"model":"g"}}', 'custom_id', ''],
    ['body, escaped', '{"body":{"model":"g"},"bo\\u0064y":{"model":"h"}}', 'body', ''],
    ['model, escaped', '{"body":{"mod\\u0065l":"g","model":"h"}}', 'model', 'body'],
    ['url, escaped twice', '{"\\u0075rl":"a","\\u0075\\u0072l":"b"}', 'url', ''],
  ])('reports a repeated key (%s), whatever its spelling', (_name, line, key, where) => {
    expect(scanJsonLine(Buffer.from(line), BODY_MODEL_PATH).duplicateKey).toEqual({ key, where });
  });

  // Short strings are walked byte by byte, longer ones searched: an escape on either side of the switch.
  it('finds the token after strings with escapes anywhere around 64 bytes, in keys and values', () => {
    for (let at = 55; at < 75; at++) {
      for (const escaped of ['\\"', '\\\\', '\\\\\\"', '\\u0022']) {
        const text = `${'x'.repeat(at)}${escaped}${'y'.repeat(10)}`;
        const line = `{"custom_id":"${text}","body":{"${text}":"model","model":"g","x":"${text}"}}`;
        const out = rewrite(line, 'dep-1');
        expect(out?.body.model, `${at} ${escaped}`).toBe('dep-1');
        expect(out?.body[JSON.parse(`"${text}"`)]).toBe('model');
      }
    }
  });

  it('lets repeated keys deeper than body pass: the gateway reads none of them', () => {
    expect(scanJsonLine(Buffer.from('{"body":{"model":"g","metadata":{"a":1,"a":2}}}'), BODY_MODEL_PATH).duplicateKey).toBeNull();
  });

  it('stops at 256 levels of nesting, however the line goes on', () => {
    const deep = '{"body":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    expect(scanJsonLine(Buffer.from(deep), BODY_MODEL_PATH).tooDeep).toBe(true);
    const ok = '{"body":{"model":"g","x":' + '['.repeat(250) + ']'.repeat(250) + '}}';
    expect(scanJsonLine(Buffer.from(ok), BODY_MODEL_PATH)).toMatchObject({ tooDeep: false, duplicateKey: null });
  });
});
