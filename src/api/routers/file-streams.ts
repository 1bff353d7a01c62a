import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { octetInputParser } from '@trpc/server/http';
import { invalidRequest } from '../../domain/errors.js';
import { managedFileContent } from '../../domain/files/file-content.js';
import { uploadManagedFile } from '../../domain/files/upload.js';
import { fileIdInput } from '../inputs.js';
import { parseInput } from '../parse-input.js';
import { formUploadSource } from '../streams/form-upload.js';
import { framedUploadSource } from '../streams/framed-upload.js';
import { iterateWebStream } from '../streams/web-stream.js';
import { authedProcedure } from '../trpc.js';

/**
 * Uploads and downloads for tRPC's HTTP clients, over the same domain calls as `files.upload` / `files.content`
 * (which take and give Node streams, for in-process callers: REST and gRPC).
 */

/** multipart/form-data, as a browser or `FormData` sends it. tRPC reads the whole form before calling us. */
export const uploadForm = authedProcedure
  .input((value: unknown): FormData => {
    if (value instanceof FormData) return value;
    throw invalidRequest('Expected a multipart/form-data body', 'file', 'invalid_body');
  })
  .mutation(({ ctx, input }) => uploadManagedFile(ctx.gw, ctx.principal, formUploadSource(input), ctx.signal));

/**
 * application/octet-stream: one JSON header line with the fields, then the file (see framedUploadSource).
 * Streamed end to end: the transport's flow control (`ctx.requestBody`) keeps the client at the spool's pace.
 */
export const uploadStream = authedProcedure.input(octetInputParser).mutation(async ({ ctx, input }) => {
  const body = ctx.requestBody ? ctx.requestBody(input) : iterateWebStream(input);
  return uploadManagedFile(ctx.gw, ctx.principal, await framedUploadSource(body), ctx.signal);
});

/** The file's bytes as UTF-8 text chunks (batch files are JSONL), streamed: use httpBatchStreamLink. */
export const download = authedProcedure.input(parseInput(fileIdInput)).query(async ({ ctx, input }) => {
  const content = await managedFileContent(ctx.gw, ctx.principal, input.file_id, ctx.signal);
  return textChunks(content.body);
});

async function* textChunks(body: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of body) {
      const text = decoder.write(chunk as Buffer);
      if (text) yield text;
    }
    const tail = decoder.end();
    if (tail) yield tail;
  } finally {
    body.destroy();
  }
}
