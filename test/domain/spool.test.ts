import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/domain/jsonl/lines.js';
import { SpoolTap, spoolBatchInput } from '../../src/domain/jsonl/spool.js';

async function* chunks(parts: (string | Buffer)[]) {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const line = (id: string, content = 'hi') =>
  JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'g', messages: [{ role: 'user', content }] },
  });
const limits = { maxBytes: 1 << 20, maxLines: 100 };
/** The spool has made its folder and told the tap (the upload reads a tap only past 8 MiB, long after). */
const begun = async (tap: SpoolTap) => {
  while (!tap.template.path) await new Promise((r) => setTimeout(r, 5));
};

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
      // Shorter than the placeholder (substituted in place) and longer (substituted into a new buffer).
      for (const model of ['dep-a', 'a-much-longer-deployment-name-ü', `a-deployment-name-longer-than-the-placeholder-${'x'.repeat(40)}`]) {
        const copy = Buffer.concat(await collect(spool.read(model)));
        expect(copy.length).toBe(spool.bytesFor(model));
        const parsed = copy
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(parsed.map((l) => l.body.model)).toEqual([model, model, model]);
        expect(parsed[0].body.messages[0].content).toBe('héllo ✓ 日本');
      }
      expect(readFileSync(spool.path, 'utf8')).not.toContain('"model":"g"');
    } finally {
      await spool.dispose();
    }
  });

  it('stops at the first bad line and leaves no spool behind', async () => {
    await expect(spoolBatchInput(chunks([`${line('a')}\n`, '{oops\n']), limits)).rejects.toMatchObject({
      kind: 'invalid_request',
      code: 'invalid_json_line',
    });
    await expect(spoolBatchInput(chunks([line('a').repeat(1)]), { maxBytes: 10, maxLines: 100 })).rejects.toMatchObject({
      kind: 'payload_too_large',
    });
  });

  it.each([
    [
      'a second "body" spelled with an escape',
      '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"g"},"bo\\u0064y":{"model":"h"}}',
      /line 2: the key "body" appears more than once at the top level/,
    ],
    [
      'a second "model" spelled with an escape',
      '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"g","mod\\u0065l":"h"}}',
      /line 2: the key "model" appears more than once in "body"/,
    ],
    [
      'a repeated custom_id key',
      '{"custom_id":"a","custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"g"}}',
      /line 2: the key "custom_id" appears/,
    ],
  ])('refuses a line with %s, naming the line', async (_name, bad, message) => {
    await expect(spoolBatchInput(chunks([`${line('x')}\n`, `${bad}\n`]), limits)).rejects.toMatchObject({
      kind: 'invalid_request',
      code: 'duplicate_key',
      message: expect.stringMatching(message),
    });
  });

  it('refuses a line nesting 10,000 deep with a 400 (no stack overflow), even with escaped keys', async () => {
    const deep = `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","bo\\u0064y":{"mod\\u0065l":"g","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    await expect(spoolBatchInput(chunks([`${deep}\n`]), limits)).rejects.toMatchObject({
      kind: 'invalid_request',
      code: 'line_too_deep',
      message: expect.stringMatching(/line 1: nests deeper than 256/),
    });
  });

  it('gives the event loop turns while it validates a large file of blank lines', async () => {
    // Chunks that are all ready at once, as a fast client's are: without explicit turns the whole pass would
    // run on microtasks, and no timer (no health check, no other request) would run until it ended.
    // Runs of empty lines are now counted in bulk; lines holding a space still go one by one.
    const blank = Buffer.alloc(64 * 1024, ' \n');
    async function* big() {
      for (let i = 0; i < 128; i++) yield blank; // 8 MiB, 4M blank lines
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
      const spool = await spoolBatchInput(big(), { maxBytes: 16 << 20, maxLines: 100 });
      await spool.dispose();
      expect(spool.lines).toBe(1);
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - started;
    expect(longest).toBeLessThan(took / 4);
  });

  it('takes a run of a million empty lines in bulk and keeps the line numbers right', async () => {
    const run = Buffer.alloc(1 << 20, '\n');
    await expect(
      spoolBatchInput(chunks([run, `${line('a')}\n\n\n`, '{oops\n']), { maxBytes: 4 << 20, maxLines: 100 }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/line 1048580: not valid JSON/),
    });
    const spool = await spoolBatchInput(chunks([run, `${line('a')}\n`, run]), { maxBytes: 4 << 20, maxLines: 100 });
    await spool.dispose();
    expect(spool.lines).toBe(1);
  });

  it('lets a tap follow the copy while it is written: validated lines only, the end held back until released', async () => {
    const tap = new SpoolTap();
    let arrived = 0;
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => `${line(`r${i}`, 'x'.repeat(500))}\n`).join('')); // ~1.8 MB: several flushes
    let feed!: () => void;
    const fed = new Promise<void>((r) => (feed = r));
    async function* slowly() {
      yield body;
      await fed; // the spool is still open: the reader must wait here, not end
      yield Buffer.from(`${line('last')}\n`);
    }
    const spooling = spoolBatchInput(slowly(), { maxBytes: 4 << 20, maxLines: 10_000 }, undefined, tap);
    await begun(tap);
    const copy: Buffer[] = [];
    const reading = (async () => {
      for await (const c of tap.copyFor('dep')) {
        copy.push(Buffer.from(c));
        arrived += c.length;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const before = arrived;
    expect(before).toBeGreaterThan(0); // flushed lines went out before the file ended
    feed();
    const spool = await spooling;
    await new Promise((r) => setTimeout(r, 50));
    let ended = false;
    void reading.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(false); // validated whole, but not released: the end is still held back
    tap.template.release();
    await reading;
    try {
      expect(Buffer.concat(copy).equals(Buffer.concat(await collect(spool.read('dep'))))).toBe(true);
    } finally {
      await spool.dispose();
    }
  });

  it('makes a following reader throw when the file fails validation', async () => {
    const tap = new SpoolTap();
    const good = Buffer.from(Array.from({ length: 3000 }, (_, i) => `${line(`r${i}`, 'x'.repeat(500))}\n`).join(''));
    let bad!: () => void;
    const go = new Promise<void>((r) => (bad = r));
    async function* thenBad() {
      yield good;
      await go;
      yield Buffer.from('{oops\n');
    }
    const spooling = spoolBatchInput(thenBad(), { maxBytes: 4 << 20, maxLines: 10_000 }, undefined, tap);
    spooling.catch(() => undefined);
    await begun(tap);
    let got = 0;
    const reading = (async () => {
      for await (const c of tap.copyFor('dep')) {
        got += c.length;
        if (got > 0) bad();
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: 'invalid_json_line' });
    await expect(spooling).rejects.toMatchObject({ code: 'invalid_json_line' });
  });
});

describe('spoolBatchInput after dispose', () => {
  // As for the pass-through spool (raw-spool.test.ts): a copy's body or the layout asked for after the spool is
  // gone, and never read, must not open a file in a stream nobody listens to (an uncaught ENOENT).
  it('a copy or the layout asked for after dispose and never read does not fail the process', async () => {
    const spool = await spoolBatchInput(chunks([`${line('a')}\n`]), limits);
    await spool.dispose();
    spool.read('m');
    spool.layout(1024);
    await new Promise((r) => setTimeout(r, 200)); // an open that fails would have failed by now
    await expect(collect(spool.read('m'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
