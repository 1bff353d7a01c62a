import { ManagedBatch } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { visibleTo } from '../access/visibility.js';
import type { Gateway } from '../gateway.js';
import { isUnifiedBatchId } from '../ids.js';
import { afterCursor, emptyPage, listPage, splitPage } from '../paging.js';
import type { BatchObject } from './translate-batch.js';

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
  return listPage(
    rows.map((r) => r.snapshot as unknown as BatchObject),
    hasMore,
  );
}
