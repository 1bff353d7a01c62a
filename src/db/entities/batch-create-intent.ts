import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ownerColumns } from './owner.js';

/**
 * A batch create, written before the provider is called: who asks, for which input file, with which request
 * (hash), on which deployments (each one tried, in order). The upstream batch is tagged with `id` (metadata key
 * `sluice_intent`), so that a create whose answer was lost (a crash, a dropped connection) can be found
 * upstream and adopted instead of running untracked; see domain/batches/reconcile-intent.ts. `state`: pending
 * (the provider may or may not have made the batch), created (`batchId` is the managed batch), failed (nothing
 * upstream). While a request works on it, it holds the lease; the reconciler takes only expired ones.
 */
export const BatchCreateIntent = defineEntity({
  name: 'BatchCreateIntent',
  tableName: 'batch_create_intent',
  properties: {
    id: p.string().length(64).primary(),
    /** The caller: its key ID, or `master`. */
    callerScope: p.string().length(64),
    ...ownerColumns,
    inputFileId: p.string().length(64),
    requestHash: p.string().length(64),
    /** What the caller asked for (input_file_id, endpoint, completion_window, metadata, output_expires_after). */
    request: p.json<Record<string, unknown>>(),
    /** Deployments tried, in order; the reconciler looks for the tag on each. */
    deployments: p.json<string[]>(),
    /** False when the caller's metadata already had 16 pairs: matched upstream by input file and metadata. */
    tagged: p.boolean(),
    state: p.string().length(16),
    batchId: p.string().length(64).nullable(),
    leaseOwner: p.string().length(64).nullable(),
    leaseUntil: p.bigint('number').nullable(),
    createdAt: p.bigint('number'),
  },
  indexes: [{ properties: ['callerScope', 'requestHash', 'createdAt'] }, { properties: ['state', 'leaseUntil'] }],
});
export type BatchCreateIntent = InferEntity<typeof BatchCreateIntent>;
