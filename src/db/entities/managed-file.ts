import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ownerColumns } from './owner.js';

/** One unified file, whatever the number of deployments holding a copy. Input, output or error file. */
export const ManagedFile = defineEntity({
  name: 'ManagedFile',
  tableName: 'managed_file',
  properties: {
    id: p.string().length(64).primary(),
    ...ownerColumns,
    filename: p.string().length(1024),
    purpose: p.string().length(32),
    kind: p.string().length(16), // input | output | error
    bytes: p.bigint('number'),
    createdAt: p.integer(),
    expiresAt: p.integer().nullable(),
    /** Model groups an input file was written to; output files inherit their batch's group. */
    targetModelNames: p.json<string[]>(),
    endpoint: p.string().length(64).nullable(),
    lineCount: p.integer().nullable(),
  },
  indexes: [
    { properties: ['createdAt'] },
    { name: 'managed_file_owner_team_page_index', properties: ['ownerTeamId', 'createdAt', 'id'] },
    { name: 'managed_file_owner_key_page_index', properties: ['ownerKeyId', 'createdAt', 'id'] },
  ],
});
export type ManagedFile = InferEntity<typeof ManagedFile>;
