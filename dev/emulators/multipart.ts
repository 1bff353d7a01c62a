/**
 * Streaming multipart/form-data parsing for file uploads. busboy parses the
 * request as it arrives, so a client that streams its upload (the SDK's
 * toStreamingFile, or sluice piping a body through) is parsed part by part
 * rather than after the whole body has been buffered.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { ApiError, badRequest } from './api-error.js';

export interface UploadedPart {
  filename: string;
  mimeType: string;
  content: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string>;
  /** The part named `file`, if any. */
  file?: UploadedPart;
}

/** OpenAI's per-file cap. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

export function parseMultipart(req: IncomingMessage): Promise<MultipartForm> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    return Promise.reject(badRequest(`Invalid Content-Type header (${contentType || 'none'}), expected multipart/form-data.`));
  }

  return new Promise<MultipartForm>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: UploadedPart | undefined;
    let fileParts = 0;
    let failure: ApiError | undefined;
    let settled = false;

    const fail = (error: ApiError): void => {
      failure ??= error;
    };
    const finish = (error?: ApiError): void => {
      if (settled) return;
      settled = true;
      req.unpipe();
      if (error) reject(error);
      else resolve(file ? { fields, file } : { fields });
    };

    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: MAX_FILE_BYTES, files: 10, fields: 50 } });
    } catch (error) {
      finish(badRequest(`Could not parse multipart form: ${(error as Error).message}`));
      return;
    }

    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume(); // not ours; drain it so parsing continues
        return;
      }
      fileParts += 1;
      if (fileParts > 1) fail(badRequest("Only one 'file' part may be uploaded.", 'file'));
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new ApiError(413, 'File is too large. The maximum size is 512 MB.', 'file')));
      stream.on('end', () => {
        file ??= { filename: info.filename ?? 'upload', mimeType: info.mimeType, content: Buffer.concat(chunks) };
      });
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('error', (error: Error) => finish(badRequest(`Could not parse multipart form: ${error.message}`)));
    parser.on('close', () => finish(failure));
    req.on('error', () => finish(badRequest('Upload was interrupted.')));
    req.on('aborted', () => finish(badRequest('Upload was interrupted.')));
    req.pipe(parser);
  });
}
