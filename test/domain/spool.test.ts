import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/domain/jsonl/lines.js';
import { spoolBatchInput } from '../../src/domain/jsonl/spool.js';

async function* chunks(parts: (string | Buffer)[]) {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const line = (id: string, content = 'hi') =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'g', messages: [{ role: 'user', content }] } });
const limits = { maxBytes: 1 << 20, maxLines: 100 };

describe('splitLines', () => {
  it('splits across chunk boundaries, on \\n and \\r\\n, with or without a final newline', async () => {
    const lines = await collect(splitLines(chunks(['a', 'b\r', '\nc\n', '', 'd'])));
    expect(lines.map(String)).toEqual(['ab', 'c', 'd']);
  });
});

describe('spoolBatchInput', () => {
  it('rewrites body.model per deployment with exact sizes, keeping multi-byte text intact across chunks', async () => {
    // Line c spells its model with an escape: the token is found all the same and substituted in place.
    const escaped = line('c').replace('"model":"g"', '"model":"\\u0067"');
    const text = `\uFEFF${line('a', 'héllo ✓ 日本')}\r\n\n${line('b')}\n${escaped}`;
    const buf = Buffer.from(text);
    // Cut inside a multi-byte character on purpose.
    const cut = buf.indexOf(Buffer.from('✓')) + 1;
    const spool = await spoolBatchInput(chunks([buf.subarray(0, cut), buf.subarray(cut)]), limits);
    try {
      expect(spool.lines).toBe(3);
      expect(spool.originalBytes).toBe(buf.length);
      expect(spool.endpoint).toBe('/v1/chat/completions');
      expect([...spool.models]).toEqual([['g', 1]]);
      for (const model of ['dep-a', 'a-much-longer-deployment-name-ü']) {
        const copy = Buffer.concat(await collect(spool.read(model)));
        expect(copy.length).toBe(spool.bytesFor(model));
        const parsed = copy.toString().trim().split('\n').map((l) => JSON.parse(l));
        expect(parsed.map((l) => l.body.model)).toEqual([model, model, model]);
        expect(parsed[0].body.messages[0].content).toBe('héllo ✓ 日本');
      }
      expect(readFileSync(spool.path, 'utf8')).not.toContain('"model":"g"');
    } finally {
      await spool.dispose();
    }
  });

  it('stops at the first bad line and leaves no spool behind', async () => {
    await expect(spoolBatchInput(chunks([`${line('a')}\n`, '{oops\n']), limits)).rejects.toMatchObject({ kind: 'invalid_request', code: 'invalid_json_line' });
    await expect(spoolBatchInput(chunks([line('a').repeat(1)]), { maxBytes: 10, maxLines: 100 })).rejects.toMatchObject({ kind: 'payload_too_large' });
  });

  it.each([
    ['a second "body" spelled with an escape', '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"g"},"bo\\u0064y":{"model":"h"}}', /line 2: the key "body" appears more than once at the top level/],
    ['a second "model" spelled with an escape', '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"g","mod\\u0065l":"h"}}', /line 2: the key "model" appears more than once in "body"/],
    ['a repeated custom_id key', '{"custom_id":"a","custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"g"}}', /line 2: the key "custom_id" appears/],
  ])('refuses a line with %s, naming the line', async (_name, bad, message) => {
    await expect(spoolBatchInput(chunks([`${line('x')}\n`, `${bad}\n`]), limits)).rejects.toMatchObject({ kind: 'invalid_request', code: 'duplicate_key', message: expect.stringMatching(message) });
  });

  it('refuses a line nesting 10,000 deep with a 400 (no stack overflow), even with escaped keys', async () => {
    const deep = `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","bo\\u0064y":{"mod\\u0065l":"g","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    await expect(spoolBatchInput(chunks([`${deep}\n`]), limits)).rejects.toMatchObject({ kind: 'invalid_request', code: 'line_too_deep', message: expect.stringMatching(/line 1: nests deeper than 256/) });
  });

  it('gives the event loop turns while it validates a large file of blank lines', async () => {
    // Chunks that are all ready at once, as a fast client's are: without explicit turns the whole pass would
    // run on microtasks, and no timer (no health check, no other request) would run until it ended.
    const blank = Buffer.alloc(64 * 1024, '\n');
    async function* big() {
      for (let i = 0; i < 64; i++) yield blank; // 4 MiB, 4M blank lines
      yield Buffer.from(`${line('a')}\n`);
    }
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const started = performance.now();
    try {
      const spool = await spoolBatchInput(big(), { maxBytes: 8 << 20, maxLines: 100 });
      await spool.dispose();
      expect(spool.lines).toBe(1);
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - started;
    expect(longest).toBeLessThan(took / 4);
  });
});

