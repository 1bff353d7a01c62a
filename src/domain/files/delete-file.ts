import { FileLayoutChunk, FileReplica, ManagedFile } from '../../db/entities/index.js';
import { ProviderError } from '../../providers/types.js';
import type { Principal } from '../access/principal.js';
import { providerFor, type Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { findVisibleFile } from './find-file.js';

/**
 * Deletes every replica, then the unified file. A replica that could not be deleted stays recorded (and the
 * file with it) so that a retry finishes the job: never a file that is gone for us but still billed upstream.
 */
export async function deleteManagedFile(gw: Gateway, principal: Principal, id: string) {
  const em = gw.em();
  const file = await findVisibleFile(em, principal, id);
  const replicas = await em.find(FileReplica, { fileId: file.id });
  const results = await Promise.allSettled(
    replicas.map(async (r) => {
      try {
        await providerFor(gw, r.deploymentId).deleteFile(r.providerFileId);
      } catch (err) {
        if (!(err instanceof ProviderError && err.status === 404)) throw err; // already gone upstream: fine
      }
      return r;
    }),
  );
  const deleted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  await em.transactional(async (tx) => {
    if (deleted.length) await tx.nativeDelete(FileReplica, { id: { $in: deleted.map((r) => r.id) } });
    if (!failed) {
      await tx.nativeDelete(FileLayoutChunk, { fileId: file.id });
      await tx.nativeDelete(ManagedFile, { id: file.id });
    }
  });
  if (failed) throw fromProviderError(failed.reason, 'Deleting the file at one of its deployments');
  gw.log.info({ event: 'file_deleted', file_id: file.id, replicas: deleted.length }, 'file deleted');
  return { id: file.id, object: 'file' as const, deleted: true };
}
