import type { EntityManager } from '@mikro-orm/sql';
import { ManagedBatch } from '../../db/entities/index.js';
import type { ProviderBatch } from '../../providers/types.js';
import { emitEvent } from '../events.js';
import { providerFor, type Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { TERMINAL_STATUSES, translateBatch, type BatchObject } from './translate-batch.js';

/**
 * Stores what the provider just said about a batch (from a user's retrieve/cancel or the tracker) and returns
 * the translated object. Idempotent: the same upstream state written twice leaves the same row.
 */
export async function recordBatchState(gw: Gateway, em: EntityManager, row: ManagedBatch, upstream: ProviderBatch): Promise<BatchObject> {
  const object = await translateBatch(gw, row, upstream);
  const previous = row.status;
  // `terminal: false`: a slower poll that read an older state never drags a finished batch back.
  await em.nativeUpdate(
    ManagedBatch,
    { id: row.id, terminal: false },
    {
      status: object.status,
      snapshot: object as unknown as Record<string, unknown>,
      terminal: TERMINAL_STATUSES.has(object.status),
      outputFileId: object.output_file_id,
      errorFileId: object.error_file_id,
      updatedAt: Date.now(),
    },
  );
  Object.assign(row, { status: object.status, snapshot: object, outputFileId: object.output_file_id, errorFileId: object.error_file_id, terminal: TERMINAL_STATUSES.has(object.status) });
  if (previous !== object.status) {
    emitEvent(gw, { event: 'batch_status_changed', batch_id: row.id, from: previous, to: object.status, model_group: row.modelGroup, deployment: row.deploymentId });
  }
  return object;
}

/** Asks the batch's own deployment for its state and stores it: the one poll, for retrieve and the tracker. */
export async function refreshBatch(gw: Gateway, em: EntityManager, row: ManagedBatch, what: string): Promise<BatchObject> {
  let upstream: ProviderBatch;
  try {
    upstream = await providerFor(gw, row.deploymentId).getBatch(row.providerBatchId);
  } catch (err) {
    throw fromProviderError(err, what);
  }
  return recordBatchState(gw, em, row, upstream);
}
