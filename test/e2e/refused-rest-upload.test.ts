import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badSecondLine } from '../support/bad-jsonl.js';
import { MASTER_KEY, startStack, type Stack } from '../support/stack.js';

const MB = 1024 * 1024;

/**
 * A REST upload refused part-way, through the official SDK: the SDK must read the 400 (with the line number),
 * not a connection error it would retry by sending the whole body again.
 */
describe('a REST upload refused part-way, through the OpenAI SDK', () => {
  let s: Stack;
  let body: Buffer;
  beforeAll(async () => {
    s = await startStack({ db: 'sqlite', tracker: false, limits: { max_batch_file_bytes: 400 * MB, max_batch_file_lines: 2_000_000 } });
    body = await badSecondLine(40 * MB);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('gets the 400 naming line 2, at the first try', async () => {
    const client = s.clientFor(MASTER_KEY).withOptions({ maxRetries: 0 });
    const err = await client.files
      .create({ file: await toFile(body, 'big.jsonl'), purpose: 'batch', ...({ target_model_names: 'gpt-4o-batch' } as object) } as never)
      .catch((e: unknown) => e);
    expect((err as { status?: number }).status, String(err)).toBe(400);
    expect(String((err as Error).message)).toMatch(/line 2/);
  });
});
