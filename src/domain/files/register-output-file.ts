import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { FileReplica, ManagedFile, type ManagedBatch } from '../../db/entities/index.js';
import { providerFor, type Gateway } from '../gateway.js';
import { newFileId } from '../ids.js';

/**
 * Gives a provider's output/error file a unified ID owned by the batch's owner, once: the replica's unique
 * (deployment, provider file) pair makes concurrent retrieves (or two gateway replicas) agree on one ID.
 */
export async function registerOutputFile(
  gw: Gateway,
  batch: ManagedBatch,
  providerFileId: string,
  kind: 'output' | 'error',
): Promise<string> {
  const em = gw.em();
  const existing = await em.findOne(FileReplica, { deploymentId: batch.deploymentId, providerFileId });
  if (existing) return existing.fileId;
  const info = await providerFor(gw, batch.deploymentId)
    .getFile(providerFileId)
    .catch(() => null); // metadata (size, dates) is nice to have; the ID mapping is what matters
  const now = Math.floor(Date.now() / 1000);
  const id = newFileId();
  try {
    await em.transactional(async (tx) => {
      tx.create(FileReplica, {
        fileId: id,
        deploymentId: batch.deploymentId,
        modelGroup: batch.modelGroup,
        providerFileId,
        bytes: info?.bytes ?? null,
        createdAt: now,
      });
      tx.create(ManagedFile, {
        id,
        ownerKeyId: batch.ownerKeyId,
        ownerUserId: batch.ownerUserId,
        ownerTeamId: batch.ownerTeamId,
        // Never the provider's filename: it carries the upstream batch ID (`batch_<upstream id>_output.jsonl`).
        filename: `${batch.id}_${kind}.jsonl`,
        purpose: 'batch_output',
        kind,
        bytes: info?.bytes ?? 0,
        createdAt: info?.created_at ?? now,
        expiresAt: info?.expires_at ?? null,
        targetModelNames: [batch.modelGroup],
        endpoint: batch.endpoint,
        lineCount: null,
      });
    });
    return id;
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    const winner = await gw.em().findOneOrFail(FileReplica, { deploymentId: batch.deploymentId, providerFileId });
    return winner.fileId;
  }
}
