import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { octetInputParser } from '@trpc/server/http';
import { createCaller } from '../../api/router.js';
import { invalidRequest } from '../../domain/errors.js';
import { managedFileContent } from '../../domain/files/file-content.js';
import { fileIdInput } from '../../api/inputs.js';
import { parseInput } from '../../api/parse-input.js';
import { formUpload } from './streams/form-upload.js';
import { framedUpload } from './streams/framed-upload.js';
import { iterateWebStream } from './streams/web-stream.js';
import { authedProcedure, type Context } from '../../api/trpc.js';
import type { HttpBody } from './context.js';

/**
 * The wire pieces of tRPC over HTTP, kept out of the router: uploads as FormData or a framed byte stream, and
 * downloads as text chunks. Uploads only turn the body into the router's upload input and call the router's
 * own `files.upload` with the same context, so its schema checks their fields as it does REST's and gRPC's.
 * (They authenticate first themselves, so that tRPC reads no body for a caller without a key; the router's
 * procedure checks the key again, from the key cache.) http-router.ts adds them to `files`.
 */

/** multipart/form-data, as a browser or `FormData` sends it. tRPC reads the whole form before calling us. */
export const uploadForm = authedProcedure
  .input((value: unknown): FormData => {
    if (value instanceof FormData) return value;
    throw invalidRequest('Expected a multipart/form-data body', 'file', 'invalid_body');
  })
  .mutation(({ ctx, input }) => createCaller(ctx).files.upload(formUpload(input)));

/**
 * application/octet-stream: one JSON header line with the fields, then the file (see framedUpload). Streamed
 * end to end: this transport's flow control (context.ts) keeps the client at the spool's pace.
 */
export const uploadStream = authedProcedure.input(octetInputParser).mutation(async ({ ctx, input }) => {
  // createHttpContext (context.ts) adds the flow-controlled reader for octet-stream requests.
  const requestBody = (ctx as Context & HttpBody).requestBody;
  return createCaller(ctx).files.upload(await framedUpload(requestBody ? requestBody(input) : iterateWebStream(input)));
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
