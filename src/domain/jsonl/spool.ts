import { randomBytes } from 'node:crypto';
import { echo } from '../echo.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { GatewayError } from '../errors.js';
import { makeSpoolDir } from '../spool-dirs.js';
import { BufferedWriter } from './buffered-writer.js';
import { TemplateCopies } from './copies.js';
import { GrowingFile } from './growing-file.js';
import { LayoutRecorder, type Terminator } from './layout.js';
import { EventLoopYielder, isBlankLine, splitLineBatches } from './lines.js';
import { lineError, parseBatchLine } from './validate-line.js';

export interface SpoolLimits {
  maxBytes: number;
  maxLines: number;
}

/**
 * A validated batch input, spooled to a temp file as a template: every request line as the client sent it but
 * with the `body.model` token replaced by a random placeholder, so writing the copy for a deployment is a plain
 * byte substitution (no second JSON parse) and its exact size is known before the upload starts
 * (Content-Length, not chunked). What the copies leave out (BOM, blank lines, line endings, each line's model
 * spelling) is recorded beside it (layout.ts), so the caller's exact bytes can be rebuilt from any copy.
 */
export interface SpooledBatchInput {
  path: string;
  /** Bytes the client sent. */
  originalBytes: number;
  templateBytes: number;
  lines: number;
  endpoint: string;
  /** Each distinct `body.model`, with the first line that used it (for errors that name a line). */
  models: Map<string, number>;
  /** Numbers of the blank lines skipped, ascending: lets a later pass over the spool name the client's line numbers. */
  blankLines?: number[];
  /** Bytes of the copy for a deployment whose model is `model`. */
  bytesFor(model: string): number;
  /** The copy for a deployment, streamed from disk; call once per upload attempt. */
  read(model: string): AsyncIterable<Uint8Array>;
  /** The recorded layout (layout.ts), streamed from disk in chunks of at most `chunkBytes`. */
  layout(chunkBytes: number): AsyncIterable<Buffer>;
  dispose(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);

/**
 * Lets a stream-through upload (domain/files/stream-through.ts) follow the spool while it is written: how much
 * of the client's file has arrived, and each deployment's copy of the validated lines so far, read from disk.
 */
export class SpoolTap {
  readonly template = new GrowingFile();
  private copies: TemplateCopies | null = null;

  constructor(readonly arrived: (bytes: number) => void = () => undefined) {}

  /** Called by the spool as it starts. */
  begin(path: string, placeholderJson: string): void {
    this.template.path = path;
    this.copies = new TemplateCopies((from) => this.template.read(from), placeholderJson);
  }

  /** The copy for a deployment whose model is `model`, as far as validated; ends once `template.release()`d. */
  copyFor(model: string): AsyncIterable<Uint8Array> {
    if (this.copies === null) throw new Error('SpoolTap read before the spool began');
    return this.copies.read(model);
  }
}

/**
 * One streaming pass over the client's bytes: check every line, enforce the limits, write the template and the
 * layout. No provider gets a whole copy until this has succeeded, so a bad line costs the user nothing upstream
 * (with a `tap`, copies may follow the template while it is written, but their ends wait: stream-through.ts).
 * The pass gives the event loop a turn every few milliseconds, so a large upload never stalls other requests.
 */
export async function spoolBatchInput(
  content: AsyncIterable<Uint8Array>,
  limits: SpoolLimits,
  signal?: AbortSignal,
  tap?: SpoolTap,
): Promise<SpooledBatchInput> {
  const dir = await makeSpoolDir('spool');
  const path = join(dir, 'input.jsonl');
  const layoutPath = join(dir, 'layout.jsonl');
  const placeholder = `__sluice_model_${randomBytes(12).toString('hex')}__`;
  const placeholderJson = JSON.stringify(placeholder);
  const placeholderBytes = Buffer.from(placeholderJson);
  const newline = Buffer.from('\n');
  const out = createWriteStream(path);
  const writer = new BufferedWriter(out, tap && ((bytes, chunk, release) => tap.template.grew(bytes, chunk, release)));
  tap?.begin(path, placeholderJson);
  const layoutOut = createWriteStream(layoutPath);
  const layoutWriter = new BufferedWriter(layoutOut);
  // A failed write (a full disk) must become this upload's error: between two waits for 'drain' nobody else
  // listens, and an 'error' event without a listener ends the process.
  let writeFailed: Error | null = null;
  for (const stream of [out, layoutOut]) {
    stream.on('error', (err) => {
      writeFailed ??= err;
    });
  }
  const layout = new LayoutRecorder(layoutWriter);
  const seen = new Map<string, number>();
  const models = new Map<string, number>();
  const blankLines: number[] = [];
  const yielder = new EventLoopYielder();
  let originalBytes = 0;
  let templateBytes = 0;
  let lineNo = 0;
  let lines = 0;
  let endpoint: string | null = null;

  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of content) {
      originalBytes += chunk.byteLength;
      if (originalBytes > limits.maxBytes) {
        throw new GatewayError('payload_too_large', `File is larger than the limit of ${limits.maxBytes} bytes`, 'file', 'file_too_large');
      }
      tap?.arrived(originalBytes);
      yield chunk;
    }
  }

  try {
    for await (const batch of splitLineBatches(counted())) {
      if (signal?.aborted) throw signal.reason;
      if (writeFailed) throw writeFailed;
      const { buf, starts, ends, counts } = batch;
      for (let i = 0; i < starts.length; i++) {
        if (counts[i] > 1) {
          // A run of empty lines ("\n\n\n…"): one layout step for all of them, however many.
          lineNo += counts[i];
          await layout.add('b', 1, EMPTY, counts[i]);
          continue;
        }
        lineNo++;
        let start = starts[i];
        let end = ends[i];
        const last = batch.lastUnterminated && i === starts.length - 1;
        const cr = end > start && buf[end - 1] === 13;
        if (cr) end--;
        const term: Terminator = last ? (cr ? 3 : 0) : cr ? 2 : 1;
        // Azure rejects a BOM: the copies go without it; the layout keeps it.
        if (lineNo === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
          start += 3;
          await layout.bom();
        }
        if (isBlankLine(buf, start, end)) {
          blankLines.push(lineNo);
          // Kept cheap (no slice, no await) for the usual run of identical blank lines.
          if (!layout.repeat('b', term, buf, start, end)) await layout.add('b', term, buf.subarray(start, end));
          continue;
        }
        const bytes = buf.subarray(start, end);
        const { line, token } = parseBatchLine(bytes, lineNo);
        const previous = seen.get(line.custom_id);
        if (previous !== undefined) {
          throw lineError(
            lineNo,
            `custom_id ${JSON.stringify(echo(line.custom_id))} is also used on line ${previous}`,
            'duplicate_custom_id',
          );
        }
        seen.set(line.custom_id, lineNo);
        if (endpoint === null) endpoint = line.url;
        else if (line.url !== endpoint) {
          throw lineError(lineNo, `"url" is ${echo(line.url)} but earlier lines use ${endpoint}; one file, one endpoint`, 'url_mismatch');
        }
        if (!models.has(line.body.model)) models.set(line.body.model, lineNo);
        if (++lines > limits.maxLines) {
          throw new GatewayError('invalid_request', `File has more than ${limits.maxLines} requests`, 'file', 'too_many_tasks');
        }
        if (!layout.repeat('r', term, bytes, token.start, token.end)) await layout.add('r', term, bytes.subarray(token.start, token.end));
        const templateLine = bytes.length - (token.end - token.start) + placeholderBytes.length + 1;
        // A line that does not fit starts the next buffer: the chunks a copy takes from memory then hold whole lines.
        if (!writer.hasRoom(templateLine)) await writer.flush();
        if (writer.hasRoom(templateLine)) {
          writer.put(bytes, 0, token.start);
          writer.put(placeholderBytes);
          writer.put(bytes, token.end);
          writer.put(newline);
        } else {
          await writer.write(bytes.subarray(0, token.start));
          await writer.write(placeholderBytes);
          await writer.write(bytes.subarray(token.end));
          await writer.write(newline);
        }
        templateBytes += templateLine;
        if ((lines & 63) === 0) await yielder.maybeYield();
      }
      await yielder.maybeYield();
    }
    await layout.finish();
    await writer.flush();
    await layoutWriter.flush();
    out.end();
    layoutOut.end();
    if (writeFailed) throw writeFailed; // 'finish' would never come
    await Promise.all([once(out, 'finish'), once(layoutOut, 'finish')]);
    if (lines === 0 || endpoint === null) {
      throw new GatewayError('invalid_request', 'File contains no requests', 'file', 'empty_file');
    }
  } catch (err) {
    tap?.template.fail(err as Error); // before the folder goes: a reader must stop at its next step, not read a gap
    // A write still in flight fails once the stream is destroyed: the listener above takes that error.
    for (const stream of [out, layoutOut]) stream.destroy();
    // A destroyed stream may still be opening its file: removing the folder before it has closed failed with
    // ENOTEMPTY, which replaced the user's error (a 500) and left the spool behind (found by test/fuzz).
    await Promise.all([out, layoutOut].map((stream) => (stream.closed ? undefined : once(stream, 'close'))));
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    throw err;
  }

  const lineCount = lines;
  const copies = new TemplateCopies((from) => readLazily(path, 256 * 1024, from), placeholderJson);
  const perLine = (model: string) => Buffer.byteLength(JSON.stringify(model)) - placeholderBytes.length;
  return {
    path,
    originalBytes,
    templateBytes,
    lines: lineCount,
    endpoint,
    models,
    blankLines,
    bytesFor: (model) => templateBytes + lineCount * perLine(model),
    read: (model) => copies.read(model),
    layout: (chunkBytes) => readLazily(layoutPath, chunkBytes),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A spooled file, opened only when its first chunk is asked for. A copy's body may be asked for (an upstream
 * retry) after the upload has failed and the spool is gone, and never read: a stream opened eagerly would then
 * fail with nobody listening, an uncaught ENOENT that ends the process.
 */
async function* readLazily(path: string, chunkBytes: number, start = 0): AsyncGenerator<Buffer> {
  yield* createReadStream(path, { highWaterMark: chunkBytes, start }) as AsyncIterable<Buffer>;
}
