import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The copy of a managed file at one deployment, and the raw provider ID that never leaves the gateway. */
export const FileReplica = defineEntity({
  name: 'FileReplica',
  tableName: 'file_replica',
  properties: {
    id: p.integer().primary().autoincrement(),
    fileId: p.string().length(64).index(),
    deploymentId: p.string().length(128),
    modelGroup: p.string().length(255),
    providerFileId: p.string().length(255),
    bytes: p.bigint('number').nullable(),
    createdAt: p.integer(),
  },
  uniques: [{ properties: ['deploymentId', 'providerFileId'] }],
});
export type FileReplica = InferEntity<typeof FileReplica>;
