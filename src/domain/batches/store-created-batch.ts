import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { BatchCreateIntent, ManagedBatch } from '../../db/entities/index.js';
import type { ProviderBatch } from '../../providers/types.js';
import { emitEvent } from '../events.js';
import type { Gateway } from '../gateway.js';
import { newBatchId } from '../ids.js';
import type { CreateBatchInput } from './create-batch.js';
import { TERMINAL_STATUSES, translateBatch, type BatchObject } from './translate-batch.js';

/**
 * Records a batch the provider made for `intent` on `deploymentId`: the managed batch (owned as the intent says)
 * and the intent's `created` state, in one transaction, so an intent is never `created` without its batch nor a
 * batch tracked twice (managed_batch is unique per deployment and provider batch ID: a second recorder, e.g. the
 * reconciler racing an SDK retry, gets the first one's batch back). Used by a create that got its answer and by
 * the adoption of a batch found upstream after a lost answer.
 */
export async function storeCreatedBatch(
  gw: Gateway,
  intent: BatchCreateIntent,
  deploymentId: string,
  modelGroup: string,
  upstream: ProviderBatch,
): Promise<BatchObject> {
  const input = intent.request as unknown as CreateBatchInput;
  const now = Date.now();
  const row = {
    id: newBatchId(),
    ownerKeyId: intent.ownerKeyId ?? null,
    ownerUserId: intent.ownerUserId ?? null,
    ownerTeamId: intent.ownerTeamId ?? null,
    inputFileId: intent.inputFileId,
    deploymentId,
    modelGroup,
    providerBatchId: upstream.id,
    status: upstream.status,
    endpoint: input.endpoint,
    createdAt: typeof upstream.created_at === 'number' ? upstream.created_at : Math.floor(now / 1000),
    terminal: TERMINAL_STATUSES.has(upstream.status),
    snapshot: {} as Record<string, unknown>,
    updatedAt: now,
    outputFileId: null as string | null,
    errorFileId: null as string | null,
    leaseOwner: null,
    leaseUntil: null,
    nextPollAt: now + gw.config.tracking.pollIntervalMs, // first look by the tracker (workers/)
    costRecorded: false,
  };
  // A provider that keeps no metadata (Vertex) answers without it: the caller's carries on from here.
  const object = await translateBatch(gw, row as unknown as ManagedBatch, { metadata: input.metadata ?? null, ...upstream });
  row.snapshot = object as unknown as Record<string, unknown>;
  row.outputFileId = object.output_file_id;
  row.errorFileId = object.error_file_id;
  try {
    await gw.em().transactional(async (tx) => {
      await tx.insert(ManagedBatch, row);
      await tx.nativeUpdate(
        BatchCreateIntent,
        { id: intent.id },
        { state: 'created', batchId: row.id, leaseOwner: null, leaseUntil: null },
      );
    });
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    const existing = await gw.em().findOneOrFail(ManagedBatch, { deploymentId, providerBatchId: upstream.id });
    await gw
      .em()
      .nativeUpdate(BatchCreateIntent, { id: intent.id }, { state: 'created', batchId: existing.id, leaseOwner: null, leaseUntil: null });
    return existing.snapshot as unknown as BatchObject;
  }
  intent.state = 'created';
  intent.batchId = row.id;
  emitEvent(gw, {
    event: 'batch_created',
    batch_id: row.id,
    model_group: modelGroup,
    deployment: deploymentId,
    input_file_id: intent.inputFileId,
    key_id: row.ownerKeyId,
    team_id: row.ownerTeamId,
  });
  return object;
}
