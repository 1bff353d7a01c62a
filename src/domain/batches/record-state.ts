import { isDeepStrictEqual } from 'node:util';
import type { EntityManager } from '@mikro-orm/sql';
import { ManagedBatch } from '../../db/entities/index.js';
import type { ProviderBatch } from '../../providers/types.js';
import { emitEvent } from '../events.js';
import { providerFor, type Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { TERMINAL_STATUSES, translateBatch, type BatchObject } from './translate-batch.js';

/**
 * Per row object: the provider's answer it last took in, what that became, and the row's snapshot after it. A
 * provider returns the very same object for an unchanged state (BatchProvider.getBatch), so a tight polling
 * loop skips translating and comparing it; the row's snapshot still being the one left then shows that nothing
 * else (another replica's state, the tracker's) changed the row since.
 */
const lastRecorded = new WeakMap<ManagedBatch, { upstream: ProviderBatch; object: BatchObject; snapshot: unknown }>();

/**
 * Stores what the provider just said about a batch (from a user's retrieve/cancel or the tracker) and returns
 * the translated object. Idempotent: the same upstream state written twice leaves the same row, so a state
 * equal to the row's is not written at all (most polls of a running batch change nothing).
 */
export async function recordBatchState(gw: Gateway, row: ManagedBatch, upstream: ProviderBatch, em?: EntityManager): Promise<BatchObject> {
  const seen = lastRecorded.get(row);
  if (seen?.upstream === upstream && row.snapshot === seen.snapshot) {
    gw.batchRoutes.observed(row);
    return seen.object;
  }
  const object = await translateBatch(gw, row, upstream);
  if (row.status === object.status && isDeepStrictEqual(row.snapshot, object)) {
    lastRecorded.set(row, { upstream, object, snapshot: row.snapshot });
    gw.batchRoutes.observed(row);
    return object;
  }
  const previous = row.status;
  const writer = em ?? gw.em(); // only now: most polls write nothing
  // `terminal: false`: a slower poll that read an older state never drags a finished batch back.
  const changed = await writer.nativeUpdate(
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
  if (changed === 0) {
    const stored = await settledElsewhere(writer, row);
    gw.batchRoutes.observed(row);
    return stored;
  }
  Object.assign(row, {
    status: object.status,
    snapshot: object,
    outputFileId: object.output_file_id,
    errorFileId: object.error_file_id,
    terminal: TERMINAL_STATUSES.has(object.status),
  });
  lastRecorded.set(row, { upstream, object, snapshot: object });
  gw.batchRoutes.observed(row);
  if (previous !== object.status) {
    emitEvent(gw, {
      event: 'batch_status_changed',
      batch_id: row.id,
      from: previous,
      to: object.status,
      model_group: row.modelGroup,
      deployment: row.deploymentId,
    });
  }
  return object;
}

/**
 * The row was already terminal in the database (another replica, or the tracker, got there first) while `row`
 * still showed it running: the stored terminal state is the one every caller must see from now on.
 */
async function settledElsewhere(em: EntityManager, row: ManagedBatch): Promise<BatchObject> {
  const stored = await em.findOneOrFail(ManagedBatch, { id: row.id });
  Object.assign(row, {
    status: stored.status,
    snapshot: stored.snapshot,
    outputFileId: stored.outputFileId,
    errorFileId: stored.errorFileId,
    terminal: stored.terminal,
    costRecorded: stored.costRecorded,
  });
  return stored.snapshot as unknown as BatchObject;
}

/** Asks the batch's own deployment for its state and stores it: the one poll, for retrieve and the tracker. */
export async function refreshBatch(gw: Gateway, row: ManagedBatch, what: string, em?: EntityManager): Promise<BatchObject> {
  let upstream: ProviderBatch;
  try {
    upstream = await providerFor(gw, row.deploymentId).getBatch(row.providerBatchId);
  } catch (err) {
    throw fromProviderError(err, what);
  }
  return recordBatchState(gw, row, upstream, em);
}
