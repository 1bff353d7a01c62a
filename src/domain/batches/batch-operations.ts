import type { ProviderBatch } from '../../providers/types.js';
import { ManagedBatch } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { visibleTo } from '../access/visibility.js';
import { providerFor, type Gateway } from '../gateway.js';
import { isUnifiedBatchId } from '../ids.js';
import { fromProviderError } from '../upstream-error.js';
import { afterCursor, emptyPage, listPage, splitPage } from '../paging.js';
import { findVisibleBatch } from './find-batch.js';
import { settleBatch } from './follow-batch.js';
import { recordBatchState, refreshBatch } from './record-state.js';
import type { BatchObject } from './translate-batch.js';

/**
 * Retrieve: from the batch's own deployment. A terminal batch is served as stored (no upstream call); within
 * `batch_retrieve_max_age_ms` of this replica's last provider read, so is a running one. Retrieves of one
 * batch that arrive together share one provider call.
 */
export async function retrieveManagedBatch(gw: Gateway, principal: Principal, id: string): Promise<BatchObject> {
  let row = await findVisibleBatch(gw, principal, id);
  if (row.terminal && !row.costRecorded) row = await reload(gw, row); // another replica may have billed it
  if (row.terminal) {
    await settleBatch(gw, row);
    return row.snapshot as unknown as BatchObject;
  }
  const maxAge = gw.config.tracking.retrieveMaxAgeMs;
  if (maxAge > 0 && gw.batchRoutes.freshWithin(id, maxAge)) return row.snapshot as unknown as BatchObject;
  const running = row;
  const object = await gw.batchRoutes.singleFlight(id, () => refreshBatch(gw, running, 'Retrieving the batch'));
  await settleBatch(gw, row);
  return object;
}

async function reload(gw: Gateway, row: ManagedBatch): Promise<ManagedBatch> {
  const stored = await gw.em().findOne(ManagedBatch, { id: row.id });
  if (!stored) return row;
  return gw.batchRoutes.remember(stored);
}

export async function cancelManagedBatch(gw: Gateway, principal: Principal, id: string): Promise<BatchObject> {
  const em = gw.em();
  const row = await findVisibleBatch(gw, principal, id);
  let upstream: ProviderBatch;
  try {
    upstream = await providerFor(gw, row.deploymentId).cancelBatch(row.providerBatchId);
  } catch (err) {
    throw fromProviderError(err, 'Cancelling the batch');
  }
  gw.log.info({ event: 'batch_cancel_requested', batch_id: row.id }, 'batch cancel requested');
  const object = await recordBatchState(gw, row, upstream, em);
  await settleBatch(gw, row);
  return object;
}

export interface ListBatchesInput {
  limit?: number;
  after?: string;
  targetModelNames?: string[];
}

/**
 * The caller's batches, newest first, from the database (kept current by retrieves and the tracker). Like
 * files, a cursor the caller cannot see yields an empty page.
 */
export async function listManagedBatches(gw: Gateway, principal: Principal, input: ListBatchesInput) {
  const em = gw.em();
  const limit = Math.min(Math.max(input.limit ?? 20, 1), 100);
  const where: Record<string, unknown> = { ...visibleTo(principal) };
  if (input.targetModelNames?.length) where.modelGroup = { $in: input.targetModelNames };
  if (input.after) {
    const cursor = isUnifiedBatchId(input.after) ? await em.findOne(ManagedBatch, { id: input.after, ...where }) : null;
    if (!cursor) return emptyPage<BatchObject>();
    Object.assign(where, afterCursor(cursor));
  }
  // Only what a page shows, and no identity map: these rows are read once and never written through this em.
  const found = await em.find(ManagedBatch, where, {
    fields: ['id', 'createdAt', 'snapshot'],
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: limit + 1,
    disableIdentityMap: true,
  });
  const { rows, hasMore } = splitPage(found, limit);
  return listPage(rows.map((r) => r.snapshot as unknown as BatchObject), hasMore);
}
