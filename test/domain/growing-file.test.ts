import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  /**
   * The writer (buffered-writer.ts) offers each chunk it wrote and fills the buffer again once it is released:
   * whatever readers take from memory must already be theirs by then, and a reader that falls behind the kept
   * chunks must get the same bytes from the disk.
   */
  describe('chunks kept in memory', () => {
    const CHUNK = 1024 * 1024;
    const chunkOf = (n: number) => Buffer.alloc(CHUNK, 97 + (n % 26)); // 'a', 'b', …: each chunk its own letter

    /** Writes `count` chunks as the spool does (to disk, then offered), with `between` run after each one. */
    async function writeChunks(file: GrowingFile, count: number, between: () => Promise<void>): Promise<Buffer> {
      const buffers = [Buffer.alloc(CHUNK), Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)];
      const free = [...buffers];
      const written: Buffer[] = [];
      for (let n = 0; n < count; n++) {
        const buf = free.pop() ?? Buffer.alloc(CHUNK); // a reused buffer when one was released
        chunkOf(n).copy(buf);
        appendFileSync(file.path!, buf);
        written.push(chunkOf(n));
        file.grew(CHUNK, buf, () => {
          buf.fill(0x21); // the writer fills it again: a reader must never see this
          free.push(buf);
        });
        await between();
      }
      file.release();
      return Buffer.concat(written);
    }

    async function collectBytes(file: GrowingFile, pause = async () => {}): Promise<Buffer> {
      const parts: Buffer[] = [];
      for await (const chunk of file.read()) {
        parts.push(chunk);
        await pause();
      }
      return Buffer.concat(parts);
    }

    it('a reader that keeps up gets every byte, and a buffer reused after it was released never shows', async () => {
      const file = new GrowingFile();
      file.path = join(dir, 'kept-up.bin');
      writeFileSync(file.path, '');
      const reading = collectBytes(file);
      const written = await writeChunks(file, 20, () => new Promise((r) => setImmediate(r)));
      expect((await reading).equals(written)).toBe(true);
    });

    it('a reader that starts late, and one that falls far behind, get the same bytes (from the disk)', async () => {
      const file = new GrowingFile();
      file.path = join(dir, 'behind.bin');
      writeFileSync(file.path, '');
      let slowDown = true;
      const slow = collectBytes(file, () => new Promise((r) => setTimeout(r, slowDown ? 5 : 0)));
      const writing = writeChunks(file, 30, async () => {});
      const late = collectBytes(file);
      const written = await writing;
      slowDown = false;
      expect((await late).equals(written)).toBe(true);
      expect((await slow).equals(written)).toBe(true);
    });

    it('after stopKeeping, readers read the disk and released buffers are given back at once', async () => {
      const file = new GrowingFile();
      file.path = join(dir, 'not-kept.bin');
      writeFileSync(file.path, '');
      file.stopKeeping();
      let released = 0;
      const buf = chunkOf(0);
      appendFileSync(file.path, buf);
      file.grew(CHUNK, buf, () => released++);
      expect(released).toBe(1);
      file.release();
      expect((await collectBytes(file)).equals(chunkOf(0))).toBe(true);
    });
  });
});
