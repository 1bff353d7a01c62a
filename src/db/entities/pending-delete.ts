import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A copy of a file at a deployment that must go but could not be deleted when it should have been (an upload's
 * rollback, a file delete). The janitor (workers/replica-janitor.ts, any replica, leased) retries it with backoff
 * until the provider confirms, and gives up loudly after `general_settings.pending_delete_max_age_seconds`.
 */
export const PendingDelete = defineEntity({
  name: 'PendingDelete',
  tableName: 'pending_delete',
  properties: {
    id: p.integer().primary().autoincrement(),
    deploymentId: p.string().length(128),
    providerFileId: p.string().length(255),
    /** upload_rollback | file_delete */
    reason: p.string().length(32),
    attempts: p.integer().default(0),
    nextAttemptAt: p.bigint('number'),
    leaseOwner: p.string().length(64).nullable(),
    leaseUntil: p.bigint('number').nullable(),
    lastError: p.text().nullable(),
    createdAt: p.bigint('number'),
  },
  uniques: [{ properties: ['deploymentId', 'providerFileId'] }],
  indexes: [{ properties: ['nextAttemptAt'] }],
});
export type PendingDelete = InferEntity<typeof PendingDelete>;
