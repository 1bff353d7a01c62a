import { describe, expect, it } from 'vitest';
import { TemplateCopies } from '../../src/domain/jsonl/copies.js';

const PLACEHOLDER = JSON.stringify('__sluice_model_test__');

/** A template of `lines` request lines with the placeholder where the model goes, as the spool writes it. */
function template(lines: number, padding = 3000): Buffer {
  const pad = 'x'.repeat(padding);
  const text = Array.from(
    { length: lines },
    (_, i) => `{"custom_id":"r-${i}","method":"POST","url":"/v1/chat/completions","body":{"model":${PLACEHOLDER},"pad":"${pad}"}}\n`,
  ).join('');
  return Buffer.from(text);
}

const expected = (bytes: Buffer, model: string) => Buffer.from(bytes.toString().replaceAll(PLACEHOLDER, JSON.stringify(model)));

/**
 * The template read from `from` on, in 64 KiB pieces (each the reader's own: copies change them in place), as
 * the spool's readers give it; `opened` counts the reads and `closed` those that ended, early or not.
 */
function source(bytes: Buffer) {
  const stats = { opened: 0, closed: 0 };
  const open = async function* (from: number) {
    stats.opened++;
    try {
      for (let at = from; at < bytes.length; at += 64 * 1024) {
        await new Promise((r) => setImmediate(r));
        yield Buffer.from(bytes.subarray(at, Math.min(at + 64 * 1024, bytes.length)));
      }
    } finally {
      stats.closed++;
    }
  };
  return { open, stats };
}

async function collect(copy: AsyncIterable<Uint8Array>, each: (chunk: Uint8Array) => Promise<void> = async () => {}) {
  const chunks: Uint8Array[] = [];
  for await (const chunk of copy) {
    chunks.push(chunk);
    await each(chunk);
  }
  return chunks;
}

describe('TemplateCopies', () => {
  it('readers of one model asked for before the first reads share every chunk; another model gets its own bytes', async () => {
    const bytes = template(400);
    const { open, stats } = source(bytes);
    const copies = new TemplateCopies(open, PLACEHOLDER);
    const [a, b, other] = [copies.read('gpt-4o-mini'), copies.read('gpt-4o-mini'), copies.read('gpt-4o')];
    const [chunksA, chunksB, chunksOther] = await Promise.all([collect(a), collect(b), collect(other)]);
    expect(Buffer.concat(chunksA).equals(expected(bytes, 'gpt-4o-mini'))).toBe(true);
    expect(chunksB).toHaveLength(chunksA.length);
    expect(chunksB.every((chunk, i) => chunk === chunksA[i])).toBe(true); // the very same buffers: made once
    expect(Buffer.concat(chunksOther).equals(expected(bytes, 'gpt-4o'))).toBe(true);
    expect(stats.opened).toBe(2); // one read of the template per model
  });

  it('a reader that comes after the first chunks were let go, and one that falls far behind, still get every byte', async () => {
    const bytes = template(8000); // about 24 MB: more than a shared copy keeps
    const { open } = source(bytes);
    const copies = new TemplateCopies(open, PLACEHOLDER);
    const fast = copies.read('m');
    const slow = copies.read('m');
    const fastDone = collect(fast);
    const slowDone = collect(slow, () => new Promise((r) => setTimeout(r, 1)));
    await fastDone;
    const late = await collect(copies.read('m')); // a retry from the start, after the others
    const want = expected(bytes, 'm');
    expect(Buffer.concat(await slowDone).equals(want)).toBe(true);
    expect(Buffer.concat(late).equals(want)).toBe(true);
  });

  it('a copy read whole before the others start keeps nothing for them: they read the template anew, alike', async () => {
    const bytes = template(400);
    const { open, stats } = source(bytes);
    const copies = new TemplateCopies(open, PLACEHOLDER);
    await collect(copies.read('m')); // as check-translatable.ts reads it
    const [a, b] = [copies.read('m'), copies.read('m')];
    const [chunksA, chunksB] = await Promise.all([collect(a), collect(b)]);
    expect(Buffer.concat(chunksA).equals(expected(bytes, 'm'))).toBe(true);
    expect(chunksB.every((chunk, i) => chunk === chunksA[i])).toBe(true);
    expect(stats.opened).toBe(2);
  });

  it('a failing template fails every reader with its reason', async () => {
    const copies = new TemplateCopies(async function* () {
      yield Buffer.from(`{"model":${PLACEHOLDER}}\n`);
      throw Object.assign(new Error('line 9 is not JSON'), { code: 'invalid_json_line' });
    }, PLACEHOLDER);
    const readers = [copies.read('m'), copies.read('m')];
    for (const result of await Promise.allSettled(readers.map((r) => collect(r)))) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'invalid_json_line' } });
    }
  });

  it('when every reader stops early, the template read is ended too (its file closed)', async () => {
    const { open, stats } = source(template(400));
    const copies = new TemplateCopies(open, PLACEHOLDER);
    const readers = [copies.read('m'), copies.read('m')];
    await Promise.all(
      readers.map(async (reader) => {
        for await (const _ of reader) break; // an upload cut off after its first chunk
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(stats.opened).toBe(1);
    expect(stats.closed).toBe(1);
    // A later reader starts a copy of its own from the start.
    expect(Buffer.concat(await collect(copies.read('m'))).equals(expected(template(400), 'm'))).toBe(true);
  });
});
