import { describe, expect, it } from 'vitest';
import { findModelToken } from '../../src/domain/jsonl/model-token.js';

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
  ['decoys before', '{"model":"top","custom_id":"model","x":{"body":{"model":"deep"}},"body":{"messages":[{"role":"user","content":"\\"model\\": \\"g\\""}],"tools":[{"model":"t"}],"model":"g"}}'],
  ['nested objects inside body', '{"body":{"response_format":{"type":"json_schema","model":"no"},"model":"g","metadata":{"model":"no"}}}'],
  ['numbers, booleans and nulls', '{"n":1.5e3,"b":true,"z":null,"body":{"temperature":0,"stream":false,"model":"g","stop":null}}'],
  ['duplicate key: the last wins', '{"body":{"model":"first","model":"g"}}'],
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

  it('gives up on an escaped key rather than guess', () => {
    const line = '{"body":{"mod\\u0065l":"g"}}';
    expect(JSON.parse(line).body.model).toBe('g');
    expect(findModelToken(Buffer.from(line))).toBeNull();
  });
});
