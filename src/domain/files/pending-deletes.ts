import type { EntityManager } from '@mikro-orm/sql';
import { PendingDelete } from '../../db/entities/index.js';
import { ProviderError } from '../../providers/types.js';
import { providerFor, type Gateway } from '../gateway.js';

/** A copy of a file at one deployment, by its raw provider ID. */
export interface ReplicaToDelete {
  deploymentId: string;
  providerFileId: string;
}

export type PendingDeleteReason = 'upload_rollback' | 'file_delete' | 'upload_uncommitted';

/** Default of general_settings.uncommitted_upload_grace_seconds: far longer than any upload's fan-out takes. */
export const DEFAULT_UNCOMMITTED_GRACE_MS = 3_600_000;

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
export async function recordPendingDeletes(
  em: EntityManager,
  replicas: ReplicaToDelete[],
  reason: PendingDeleteReason,
  error?: string,
  notBefore?: number,
): Promise<void> {
  if (replicas.length === 0) return;
  const now = Date.now();
  await em
    .createQueryBuilder(PendingDelete)
    .insert(
      replicas.map((r) => ({
        deploymentId: r.deploymentId,
        providerFileId: r.providerFileId,
        reason,
        attempts: notBefore ? 0 : 1,
        nextAttemptAt: notBefore ?? now,
        createdAt: now,
        lastError: error?.slice(0, 1000) ?? null,
      })),
    )
    .onConflict(['deploymentId', 'providerFileId'])
    // A copy recorded as an uncommitted upload whose rollback then failed is due now, under the new reason.
    .merge(['reason', 'nextAttemptAt', 'lastError'])
    .execute();
}

/**
 * Write-ahead for uploads: each copy is recorded as soon as the provider has it, due only after the grace, and
 * forgotten by the transaction that commits the file (forgetUncommittedReplicas). A process killed during the
 * fan-out thus leaves its copies to the janitor instead of upstream forever. Best effort: a failure to record is
 * logged, and the upload goes on (its own rollback still deletes what it wrote).
 */
export async function recordUncommittedReplica(gw: Gateway, replica: ReplicaToDelete): Promise<void> {
  try {
    await recordPendingDeletes(
      gw.em(),
      [replica],
      'upload_uncommitted',
      undefined,
      Date.now() + (gw.config.uncommittedUploadGraceMs ?? DEFAULT_UNCOMMITTED_GRACE_MS),
    );
  } catch (err) {
    gw.log.warn(
      { event: 'uncommitted_replica_not_recorded', deployment: replica.deploymentId, error: (err as Error).message },
      'could not record an upload copy before its commit',
    );
  }
}

/** In the commit's transaction: the copies now belong to a file; they are not to be deleted. */
export async function forgetUncommittedReplicas(tx: EntityManager, replicas: ReplicaToDelete[]): Promise<void> {
  for (const r of replicas)
    await tx.nativeDelete(PendingDelete, { deploymentId: r.deploymentId, providerFileId: r.providerFileId, reason: 'upload_uncommitted' });
}

/**
 * Deletes each copy now; those whose delete fails are recorded for the janitor instead of being forgotten.
 * Used by an upload's rollback. Never throws for a failed delete: the caller's own error is what matters.
 */
export async function deleteReplicasOrRecord(gw: Gateway, replicas: ReplicaToDelete[], reason: PendingDeleteReason): Promise<void> {
  const results = await Promise.allSettled(replicas.map((r) => deleteReplicaUpstream(gw, r)));
  const failed = replicas.filter((_, i) => results[i].status === 'rejected');
  const done = replicas.filter((_, i) => results[i].status === 'fulfilled');
  await forgetUncommittedReplicas(gw.em(), done).catch(() => undefined); // else the janitor finds them gone (404): harmless
  if (failed.length === 0) return;
  const error = String(((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error)?.message ?? 'unknown');
  try {
    await recordPendingDeletes(gw.em(), failed, reason, error);
    gw.log.warn(
      { event: 'replica_delete_deferred', reason, count: failed.length, error },
      'replica delete failed; the janitor will retry it',
    );
  } catch (err) {
    gw.log.error(
      { event: 'replica_delete_lost', reason, count: failed.length, error: (err as Error).message },
      'replica delete failed and could not be recorded',
    );
  }
}
