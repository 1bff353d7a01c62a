import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * What a managed input file's copies upstream leave out of the caller's upload (domain/jsonl/layout.ts), in
 * order: chunk `seq` of the file's layout. Usually one short chunk; stored in chunks so that neither writing nor
 * reading it ever holds more than one in memory, however odd the upload.
 */
export const FileLayoutChunk = defineEntity({
  name: 'FileLayoutChunk',
  tableName: 'file_layout_chunk',
  properties: {
    fileId: p.string().length(64).primary(),
    seq: p.integer().primary(),
    data: p.blob(),
  },
});
export type FileLayoutChunk = InferEntity<typeof FileLayoutChunk>;
