import { randomBytes } from 'node:crypto';

/**
 * A multipart/form-data body for a file upload, streamed: the file part comes from an async iterable and
 * Content-Length is computed up front from the file size when it is known (else the body goes chunked).
 */
export function multipartUpload(
  fields: Record<string, string>,
  file: { name: string; filename: string; contentType: string; bytes?: number; body: () => AsyncIterable<Uint8Array> },
) {
  const boundary = `----sluice${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  const safeName = file.filename.replace(/["\r\n]/g, '_');
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${safeName}"\r\n`;
  head += `Content-Type: ${file.contentType}\r\n\r\n`;
  const headBuf = Buffer.from(head);
  const tailBuf = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: file.bytes === undefined ? undefined : headBuf.length + file.bytes + tailBuf.length,
    async *body() {
      yield headBuf;
      yield* file.body();
      yield tailBuf;
    },
  };
}
