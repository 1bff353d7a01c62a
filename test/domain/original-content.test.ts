import { describe, expect, it } from 'vitest';
import { rebuildUpload, replaceTokens } from '../../src/domain/files/original-content.js';
import { RESPONSE_MODEL_PATH } from '../../src/domain/jsonl/model-token.js';
import { spoolBatchInput } from '../../src/domain/jsonl/spool.js';

async function* chunks(buf: Buffer, size: number) {
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}
const collect = async (it: AsyncIterable<Buffer>) => {
  const out: Buffer[] = [];
  for await (const x of it) out.push(x);
  return Buffer.concat(out);
};

/** Uploads `original`, makes the copy a deployment would get, and rebuilds the upload from that copy alone. */
async function roundTrip(original: Buffer, chunkSize = 7) {
  const spool = await spoolBatchInput(chunks(original, chunkSize), { maxBytes: 1 << 24, maxLines: 100_000 });
  try {
    const copy = await collect(spool.read('deployment-model-ü') as AsyncIterable<Buffer>);
    expect(copy.toString()).not.toContain('"g"');
    return await collect(rebuildUpload(spool.layout(16), chunks(copy, 5)));
  } finally {
    await spool.dispose();
  }
}

const req = (id: string, model = '"g"', extra = '') =>
  `{"custom_id":"${id}","method":"POST","url":"/v1/chat/completions","body":{"model":${model},"messages":[{"role":"user","content":"hé ✓ 日本${extra}"}]}}`;

/** A small seeded generator, so a failure names a case that can be replayed. */
function* generated(seed: number, n: number): Generator<Buffer> {
  let s = seed;
  const rnd = (k: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % k;
  };
  const spellings = ['"g"', '"\\u0067"', '"h"', '"\\u0068"']; // two groups, each plain and escaped
  const terms = ['\n', '\r\n', '\r\r\n'];
  const blanks = ['', ' ', '\t', ' \r', '   \t '];
  for (let c = 0; c < n; c++) {
    const parts: string[] = rnd(4) === 0 ? ['\uFEFF'] : [];
    const lines = 1 + rnd(12);
    for (let i = 0; i < lines; i++) {
      while (rnd(3) === 0) parts.push(blanks[rnd(blanks.length)] + terms[rnd(terms.length)]);
      const pad = rnd(5) === 0 ? '  ' : '';
      parts.push(pad + req(`c${c}-${i}`, spellings[rnd(spellings.length)], '\\"x\\"'.repeat(rnd(3))) + pad);
      if (i < lines - 1 || rnd(2) === 0) parts.push(terms[rnd(terms.length)]);
      else if (rnd(3) === 0) parts.push('\r');
    }
    yield Buffer.from(parts.join(''));
  }
}

describe('rebuildUpload', () => {
  it.each([
    ['plain', `${req('a')}\n${req('b')}\n`],
    ['BOM, CRLF, blank lines, no final newline', `\uFEFF${req('a')}\r\n\r\n  \n${req('b')}\r\n\n${req('c', '"\\u0067"')}`],
    ['escaped model names and a lone CR at the end', `${req('a', '"\\u0067"')}\n${req('b', '"g"')}\r`],
    ['a BOM on a blank first line', `\uFEFF\n${req('a')}\n`],
    ['many blank lines', `${'\n'.repeat(100_000)}${req('a')}\n${' \r\n'.repeat(1000)}`],
  ])('gives back the upload byte for byte: %s', async (_name, text) => {
    const original = Buffer.from(text);
    expect((await roundTrip(original)).equals(original)).toBe(true);
  });

  it('gives back 200 generated uploads byte for byte, whatever the chunking', async () => {
    let i = 0;
    for (const original of generated(8, 200)) {
      const back = await roundTrip(original, 1 + (i++ % 50));
      if (!back.equals(original)) expect({ case: i - 1, back: back.toString() }).toEqual({ case: i - 1, back: original.toString() });
    }
  });
});

describe('replaceTokens', () => {
  it("turns an output line's response.body.model back into the group, and nothing else", async () => {
    const out = [
      '{"id":"r1","custom_id":"a","response":{"status_code":200,"body":{"model":"dep-x","choices":[{"message":{"content":"dep-x"}}]}}}',
      '{"id":"r2","custom_id":"b","response":{"status_code":200,"body":{"model":"gpt-4o-2024-08-06"}}}',
      '{"id":"r3","custom_id":"c","response":null,"error":{"message":"dep-x"}}',
      '',
      '',
      '{"id":"r4","custom_id":"d","response":{"body":{"model":"dep-x"}}}',
      '',
    ].join('\n');
    const back = await collect(
      replaceTokens(chunks(Buffer.from(out), 9), RESPONSE_MODEL_PATH, (t) => (t.toString() === '"dep-x"' ? Buffer.from('"group"') : null)),
    );
    expect(back.toString()).toBe(out.replaceAll('"model":"dep-x"', '"model":"group"'));
  });
});
