import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ownerColumns } from './owner.js';

/** A unified batch, sticky to the one deployment it was created on. */
export const ManagedBatch = defineEntity({
  name: 'ManagedBatch',
  tableName: 'managed_batch',
  properties: {
    id: p.string().length(64).primary(),
    ...ownerColumns,
    inputFileId: p.string().length(64).index(),
    deploymentId: p.string().length(128),
    modelGroup: p.string().length(255).index(),
    providerBatchId: p.string().length(255),
    status: p.string().length(32),
    endpoint: p.string().length(64),
    createdAt: p.integer(),
    outputFileId: p.string().length(64).nullable(),
    errorFileId: p.string().length(64).nullable(),
    terminal: p.boolean().default(false),
    /** The last provider Batch object, already translated to unified IDs. */
    snapshot: p.json<Record<string, unknown>>(),
    updatedAt: p.bigint('number'),
    /** Tracker lease (workers/): the replica holding it polls this batch until leaseUntil (ms). */
    leaseOwner: p.string().length(64).nullable(),
    leaseUntil: p.bigint('number').nullable(),
    nextPollAt: p.bigint('number').nullable(),
    costRecorded: p.boolean().default(false),
  },
  uniques: [{ properties: ['deploymentId', 'providerBatchId'] }],
  indexes: [
    { properties: ['createdAt'] },
    { properties: ['terminal', 'nextPollAt'] },
    // The batches with work left, for the tracker's claim (workers/leases.ts); made by Migration20261203103000.
    {
      name: 'managed_batch_work_left_index',
      expression:
        'create index "managed_batch_work_left_index" on "managed_batch" ("next_poll_at") where terminal = false or cost_recorded = false',
    },
    // A caller's page of batches, newest first, read from the index alone (issue 10: 100,000 batches, p99 ≤ 10 ms).
    { name: 'managed_batch_owner_team_page_index', properties: ['ownerTeamId', 'createdAt', 'id'] },
    { name: 'managed_batch_owner_key_page_index', properties: ['ownerKeyId', 'createdAt', 'id'] },
  ],
});
export type ManagedBatch = InferEntity<typeof ManagedBatch>;
