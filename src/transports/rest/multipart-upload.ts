import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { UploadInput } from '../../api/upload-fields.js';
import { echo } from '../../domain/echo.js';
import { invalidRequest, missingFile, uploadCancelled } from '../../domain/errors.js';
import { bodyTimeout } from './body-idle.js';

/** What a form may hold: the file, a few fields, and room for clients that add a part or two of their own. */
const FORM_LIMITS = { files: 4, fields: 64, fieldSize: 64 * 1024, parts: 100 };

/**
 * Turns a streamed multipart/form-data upload into the router's upload input without buffering the file. The
 * OpenAI SDK sends the file part first, so `fields()` resolves only when the whole form has been read.
 */
export function multipartUpload(req: IncomingMessage, headers: IncomingHttpHeaders, idleMs = 30_000): UploadInput {
  let bb: busboy.Busboy;
  try {
    // utf8: browsers and the SDKs send non-ASCII filenames as raw UTF-8 (busboy's default reads them as latin1).
    bb = busboy({ headers, defParamCharset: 'utf8', limits: FORM_LIMITS });
  } catch (err) {
    throw invalidRequest(`Malformed multipart request: ${echo((err as Error).message)}`, null, 'invalid_multipart');
  }
  const fields = new Map<string, string[]>();
  let filename: string | undefined;
  let resolveFile!: (s: Readable | null) => void;
  const fileStream = new Promise<Readable | null>((r) => (resolveFile = r));
  let failure: Error | null = null;
  let currentFile: Readable | null = null;
  const malformed = (err: Error) => invalidRequest(`Malformed multipart request: ${echo(err.message)}`, null, 'invalid_multipart');
  // Past a limit busboy silently drops the rest of the form, which once hid the file ("Missing 'file'"): say so.
  const tooMany = (what: string, limit: number) => () => {
    failure ??= invalidRequest(`The form has more than ${limit} ${what}`, null, 'too_many_form_parts');
  };
  bb.on('partsLimit', tooMany('parts', FORM_LIMITS.parts));
  bb.on('fieldsLimit', tooMany('fields', FORM_LIMITS.fields));
  bb.on('filesLimit', tooMany('file parts', FORM_LIMITS.files));
  const finished = new Promise<void>((resolve, reject) => {
    bb.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) {
        failure ??= invalidRequest(
          `The form field '${echo(name)}' is longer than ${FORM_LIMITS.fieldSize} bytes`,
          echo(name),
          'field_too_large',
        );
        return;
      }
      fields.set(name, [...(fields.get(name) ?? []), value]);
    });
    bb.on('file', (name, stream, info) => {
      // busboy also fails a part's own stream when the form ends inside it ("Unexpected end of form"). That can
      // happen before the spool starts reading it, or after it stopped; an 'error' event with no listener
      // would end the whole process, so every part stream is listened to from the moment it exists.
      stream.on('error', (err) => {
        failure ??= malformed(err);
      });
      if (name !== 'file') {
        stream.resume(); // not ours (a client's extra part, before or after the file): drain it
        return;
      }
      if (currentFile) {
        failure ??= invalidRequest("The form has more than one 'file' part", 'file', 'too_many_files');
        stream.resume();
        return;
      }
      filename = info.filename || filename;
      currentFile = stream;
      resolveFile(stream);
    });
    bb.on('close', () => {
      resolveFile(null);
      if (failure) reject(failure);
      else resolve();
    });
    bb.on('error', (err) => {
      failure ??= malformed(err as Error);
      resolveFile(null);
      reject(failure);
    });
  });
  finished.catch(() => undefined); // surfaced through content/fields
  // A client that goes away mid-body leaves busboy waiting for bytes that never come: fail the upload instead,
  // so the spool is removed and nothing is written anywhere. The streams are destroyed without an error: the
  // reason is `failure`, which the reader throws, and an error event raised here could find no listener.
  const onClose = () => {
    if (req.complete) return;
    failure ??= uploadCancelled();
    req.unpipe(bb);
    bb.destroy();
    currentFile?.destroy();
    resolveFile(null);
  };
  req.once('close', onClose);
  req.pipe(bb);
  // A body that stops arriving (a stalled client, a Content-Length larger than the body) fails after idleMs, so
  // the spool is removed then and not when the whole-request timeout ends the connection. A stall that is our own
  // back-pressure (the request paused while the file is written out) is not the client's: it restarts the wait.
  const idle = setTimeout(function onIdle() {
    if (req.complete || failure) return;
    if (req.readableFlowing === false) {
      idle.refresh();
      return;
    }
    failure ??= bodyTimeout();
    req.unpipe(bb);
    bb.destroy();
    currentFile?.destroy();
    resolveFile(null);
    req.resume();
  }, idleMs);
  req.on('data', () => idle.refresh());
  req.once('end', () => clearTimeout(idle));
  req.once('close', () => clearTimeout(idle));
  // The client may have gone while the request waited for its key check: 'close' has then already been emitted.
  if (req.destroyed) onClose();

  return {
    content: (async function* () {
      const stream = await fileStream;
      if (!stream) throw failure ?? missingFile();
      try {
        for await (const chunk of stream) yield chunk as Uint8Array;
      } catch (err) {
        throw failure ?? malformed(err as Error); // the stream's own error is busboy's wording: say what it means
      }
      if (failure) throw failure;
    })(),
    async fields() {
      await finished;
      return formFields(fields, filename);
    },
    // While the file part streams: the fields sent before it, when `purpose` is among them (clients that put
    // the fields first), unchecked like `fields`. The OpenAI SDK sends the file first: then this stays undefined.
    fieldsSoFar: () => (currentFile && !failure && fields.has('purpose') ? formFields(fields, filename) : undefined),
  };
}

/**
 * The form's fields under OpenAI's names, unchecked: the router's one schema (api/upload-fields.ts) checks them,
 * as it does gRPC's and tRPC's. Only what is particular to forms happens here: bracketed names (also
 * `expires_after.anchor`), repeated fields (the last `purpose` wins; `target_model_names` and
 * `target_model_names[]` add up), JSON-array values.
 */
function formFields(fields: Map<string, string[]>, filename: string | undefined) {
  const one = (name: string) => fields.get(name)?.at(-1);
  const anchor = one('expires_after[anchor]') ?? one('expires_after.anchor');
  const seconds = one('expires_after[seconds]') ?? one('expires_after.seconds');
  return {
    filename,
    purpose: one('purpose'),
    target_model_names: [...(fields.get('target_model_names') ?? []), ...(fields.get('target_model_names[]') ?? [])].flatMap(parseNameList),
    expires_after: anchor === undefined && seconds === undefined ? undefined : { anchor, seconds },
  };
}

/** "a,b", "a", or a JSON array as some clients send it: all give [a, b]. */
export function parseNameList(value: string): string[] {
  const v = value.trim();
  if (v.startsWith('[')) {
    try {
      const arr = JSON.parse(v);
      if (Array.isArray(arr)) return arr.map(String).map((s) => s.trim());
    } catch {
      /* fall through: treat as a comma list */
    }
  }
  return v.split(',').map((s) => s.trim());
}

/**
 * Runs an upload route. When the upload is refused part-way (a bad line, too large), the rest of the body is
 * discarded rather than read into a parser, the answer goes out at once, and the connection closes after it.
 */
export async function handleUpload<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  idleMs: number,
  run: (upload: UploadInput) => Promise<T>,
): Promise<T> {
  const upload = multipartUpload(req.raw, req.headers, idleMs);
  try {
    return await run(upload);
  } catch (err) {
    req.raw.unpipe();
    req.raw.resume();
    reply.header('connection', 'close');
    throw err;
  }
}
