import type { EntityManager } from '@mikro-orm/sql';
import { ManagedBatch } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { visibleTo } from '../access/visibility.js';
import { notFound } from '../errors.js';
import { isUnifiedBatchId } from '../ids.js';

/** Resolves a unified batch ID and checks ownership in one query: unknown, foreign and raw IDs are all a 404. */
export async function findVisibleBatch(em: EntityManager, principal: Principal, id: string): Promise<ManagedBatch> {
  if (!isUnifiedBatchId(id)) throw notFound('batch', id);
  const batch = await em.findOne(ManagedBatch, { id, ...visibleTo(principal) });
  if (!batch) throw notFound('batch', id);
  return batch;
}
