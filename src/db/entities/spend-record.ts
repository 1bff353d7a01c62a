import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ownerColumns } from './owner.js';

/** The cost of one batch. The primary key is the batch ID, so the database itself refuses a second record. */
export const SpendRecord = defineEntity({
  name: 'SpendRecord',
  tableName: 'spend_record',
  properties: {
    batchId: p.string().length(64).primary(),
    ...ownerColumns,
    modelGroup: p.string().length(255),
    deploymentId: p.string().length(128),
    requests: p.integer(),
    failedRequests: p.integer(),
    inputTokens: p.bigint('number'),
    cachedInputTokens: p.bigint('number'),
    outputTokens: p.bigint('number'),
    reasoningTokens: p.bigint('number'),
    cost: p.double(),
    createdAt: p.integer().index(),
  },
});
export type SpendRecord = InferEntity<typeof SpendRecord>;
