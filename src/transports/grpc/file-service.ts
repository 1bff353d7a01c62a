import type { FileChunk, FileServiceImplementation } from '../../../clients/grpc/gen/sluice/v1/files.js';
import type { Gateway } from '../../domain/gateway.js';
import { callerFor } from './auth.js';
import { toProtoFile, toProtoPage } from './messages.js';
import { grpcUpload, MAX_UPLOAD_CHUNK_BYTES } from './upload-source.js';

/** sluice.v1.FileService: each RPC is one call of the router (files.*). */
export function fileService(gw: Gateway): FileServiceImplementation {
  return {
    async uploadFile(requests, context) {
      const upload = await grpcUpload(requests, context.signal);
      return toProtoFile(await callerFor(gw, context).files.upload(upload));
    },

    async getFile(req, context) {
      return toProtoFile(await callerFor(gw, context).files.retrieve({ file_id: req.fileId }));
    },

    async listFiles(req, context) {
      const page = await callerFor(gw, context).files.list({
        purpose: req.purpose,
        limit: req.limit,
        after: req.after,
        order: req.order as 'asc' | 'desc' | undefined, // checked by the router
      });
      return toProtoPage(page, toProtoFile);
    },

    async deleteFile(req, context) {
      const r = await callerFor(gw, context).files.delete({ file_id: req.fileId });
      return { id: r.id, object: r.object, deleted: r.deleted };
    },

    async *downloadFileContent(req, context) {
      const content = await callerFor(gw, context).files.content({ file_id: req.fileId });
      const head: Partial<FileChunk> = {
        filename: content.filename,
        contentType: content.contentType,
        contentLength: content.contentLength,
      };
      let first = true;
      try {
        for await (const chunk of content.body as AsyncIterable<Buffer>) {
          for (let at = 0; at < chunk.length; at += MAX_UPLOAD_CHUNK_BYTES) {
            const data = chunk.subarray(at, at + MAX_UPLOAD_CHUNK_BYTES);
            yield first ? { ...head, data } : { data };
            first = false;
          }
        }
        if (first) yield { ...head, data: Buffer.alloc(0) };
      } finally {
        content.body.destroy();
      }
    },
  };
}
