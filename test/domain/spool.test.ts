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
    // Line c spells its model with an escape: it cannot be substituted in place and is re-serialised.
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
});
