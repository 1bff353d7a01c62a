import type { EntityManager } from '@mikro-orm/sql';
import { PendingDelete } from '../../db/entities/index.js';
import { ProviderError } from '../../providers/types.js';
import { providerFor, type Gateway } from '../gateway.js';

/** A copy of a file at one deployment, by its raw provider ID. */
export interface ReplicaToDelete {
  deploymentId: string;
  providerFileId: string;
}

export type PendingDeleteReason = 'upload_rollback' | 'file_delete';

/** Deletes one copy upstream; a 404 means it is already gone, which is what we want. */
export async function deleteReplicaUpstream(gw: Gateway, replica: ReplicaToDelete): Promise<void> {
  try {
    await providerFor(gw, replica.deploymentId).deleteFile(replica.providerFileId);
  } catch (err) {
    if (!(err instanceof ProviderError && err.status === 404)) throw err;
  }
}

/**
 * Records copies that must still be deleted upstream, through `em` (pass the transaction that forgets them, so
 * that a copy is always either in file_replica or here). The janitor (workers/replica-janitor.ts) retries them.
 * A copy already recorded stays recorded once.
 */
export async function recordPendingDeletes(em: EntityManager, replicas: ReplicaToDelete[], reason: PendingDeleteReason, error?: string): Promise<void> {
  if (replicas.length === 0) return;
  const now = Date.now();
  await em
    .createQueryBuilder(PendingDelete)
    .insert(replicas.map((r) => ({ deploymentId: r.deploymentId, providerFileId: r.providerFileId, reason, attempts: 1, nextAttemptAt: now, createdAt: now, lastError: error?.slice(0, 1000) ?? null })))
    .onConflict(['deploymentId', 'providerFileId'])
    .ignore()
    .execute();
}

/**
 * Deletes each copy now; those whose delete fails are recorded for the janitor instead of being forgotten.
 * Used by an upload's rollback. Never throws for a failed delete: the caller's own error is what matters.
 */
export async function deleteReplicasOrRecord(gw: Gateway, replicas: ReplicaToDelete[], reason: PendingDeleteReason): Promise<void> {
  const results = await Promise.allSettled(replicas.map((r) => deleteReplicaUpstream(gw, r)));
  const failed = replicas.filter((_, i) => results[i].status === 'rejected');
  if (failed.length === 0) return;
  const error = String(((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error)?.message ?? 'unknown');
  try {
    await recordPendingDeletes(gw.em(), failed, reason, error);
    gw.log.warn({ event: 'replica_delete_deferred', reason, count: failed.length, error }, 'replica delete failed; the janitor will retry it');
  } catch (err) {
    gw.log.error({ event: 'replica_delete_lost', reason, count: failed.length, error: (err as Error).message }, 'replica delete failed and could not be recorded');
  }
}
