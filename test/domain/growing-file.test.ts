import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GrowingFile } from '../../src/domain/jsonl/growing-file.js';

const dir = mkdtempSync(join(tmpdir(), 'growing-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(file: GrowingFile): Promise<string> {
  let text = '';
  for await (const chunk of file.read()) text += chunk.toString();
  return text;
}

describe('GrowingFile', () => {
  // The spool's write stream opens its file asynchronously: a copy may start following it before it exists.
  it('a reader that starts before the file exists waits for the first write instead of failing', async () => {
    const file = new GrowingFile();
    file.path = join(dir, 'later.jsonl');
    const reading = collect(file);
    await new Promise((r) => setTimeout(r, 20)); // the reader is waiting now
    writeFileSync(file.path, 'hello\n');
    file.grew(6);
    file.release();
    expect(await reading).toBe('hello\n');
  });

  it('a file that fails before its first write: the reader gets the failure, not a missing file', async () => {
    const file = new GrowingFile();
    file.path = join(dir, 'never.jsonl');
    const reading = collect(file);
    file.fail(Object.assign(new Error('line 2 is not JSON'), { code: 'invalid_json_line' }));
    await expect(reading).rejects.toMatchObject({ code: 'invalid_json_line' });
  });

  it('an empty file that is released ends its reader without opening anything', async () => {
    const file = new GrowingFile();
    file.path = join(dir, 'empty-and-absent.jsonl');
    const reading = collect(file);
    file.release();
    expect(await reading).toBe('');
  });
});
