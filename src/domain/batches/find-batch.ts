import { ManagedBatch } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { canSee } from '../access/visibility.js';
import { notFound } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { isUnifiedBatchId } from '../ids.js';

/**
 * Resolves a unified batch ID and checks ownership: unknown, foreign and raw IDs are all the same 404. A batch
 * this replica has read before comes from its cache (routing and owner never change); a foreign ID is cached
 * too, but the ownership check runs on every call, so it only saves the query, never the 404.
 */
export function findVisibleBatch(gw: Gateway, principal: Principal, id: string): ManagedBatch | Promise<ManagedBatch> {
  if (!isUnifiedBatchId(id)) return Promise.reject(notFound('batch', id));
  const row = gw.batchRoutes.get(id);
  // A cached batch answers without a promise (the polling hot path); failures are always rejections.
  if (row) return canSee(principal, row) ? row : Promise.reject(notFound('batch', id));
  return findStoredBatch(gw, principal, id);
}

async function findStoredBatch(gw: Gateway, principal: Principal, id: string): Promise<ManagedBatch> {
  const found = await gw.em().findOne(ManagedBatch, { id });
  if (!found) throw notFound('batch', id);
  const row = gw.batchRoutes.remember(found);
  if (!canSee(principal, row)) throw notFound('batch', id);
  return row;
}
