import { FileLayoutChunk, FileReplica, ManagedFile } from '../../db/entities/index.js';
import type { EntityManager } from '@mikro-orm/sql';
import type { Principal } from '../access/principal.js';
import type { Gateway } from '../gateway.js';
import { findVisibleFile } from './find-file.js';
import { deleteReplicaUpstream, recordPendingDeletes } from './pending-deletes.js';

/**
 * Deletes every replica, then the unified file. A replica that could not be deleted now is moved, in the same
 * transaction that removes the file, to the pending deletes that the janitor retries until the provider
 * confirms (workers/replica-janitor.ts): the caller's file is gone at once, and no copy is forgotten upstream.
 */
export async function deleteManagedFile(gw: Gateway, principal: Principal, id: string) {
  const em = gw.em();
  const file = await findVisibleFile(em, principal, id);
  const replicas = await em.find(FileReplica, { fileId: file.id });
  const results = await Promise.allSettled(replicas.map((r) => deleteReplicaUpstream(gw, r)));
  const failed = replicas.filter((_, i) => results[i].status === 'rejected');
  const error = failed.length
    ? String(((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error)?.message)
    : undefined;
  await em.transactional(async (tx) => {
    await recordPendingDeletes(tx as unknown as EntityManager, failed, 'file_delete', error);
    await tx.nativeDelete(FileReplica, { fileId: file.id });
    await tx.nativeDelete(FileLayoutChunk, { fileId: file.id });
    await tx.nativeDelete(ManagedFile, { id: file.id });
  });
  if (failed.length)
    gw.log.warn(
      { event: 'replica_delete_deferred', reason: 'file_delete', file_id: file.id, count: failed.length, error },
      'replica delete failed; the janitor will retry it',
    );
  gw.log.info(
    { event: 'file_deleted', file_id: file.id, replicas: replicas.length - failed.length, deferred: failed.length },
    'file deleted',
  );
  return { id: file.id, object: 'file' as const, deleted: true };
}
