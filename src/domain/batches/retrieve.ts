import { ManagedBatch } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import type { Gateway } from '../gateway.js';
import { findVisibleBatch } from './find-batch.js';
import { settleBatch } from './settle.js';
import { refreshBatch } from './record-state.js';
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
  if (row.terminal) await settleBatch(gw, row); // it finished just now (a running batch: no await, no microtask)
  return object;
}

async function reload(gw: Gateway, row: ManagedBatch): Promise<ManagedBatch> {
  const stored = await gw.em().findOne(ManagedBatch, { id: row.id });
  if (!stored) return row;
  return gw.batchRoutes.remember(stored);
}
