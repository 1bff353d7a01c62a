import { ManagedBatch } from '../../db/entities/index.js';
import { recordBatchCost } from '../cost/record-batch-cost.js';
import type { Gateway } from '../gateway.js';
import { refreshBatch } from './record-state.js';

export interface FollowResult {
  status: string;
  terminal: boolean;
  /** Terminal and accounted for: nothing left to follow. */
  done: boolean;
}

/**
 * One step of following a batch to its end (the tracker calls this for each batch it leases): ask the provider
 * while it runs, store what it says, and once it is terminal record its cost (exactly once, see
 * recordBatchCost). Idempotent; a user's retrieve does the same through settleBatch. Null: the batch is gone.
 */
export async function followBatch(gw: Gateway, batchId: string): Promise<FollowResult | null> {
  const em = gw.em();
  const row = await em.findOne(ManagedBatch, { id: batchId });
  if (!row) return null;
  if (!row.terminal) await refreshBatch(gw, row, 'Polling the batch', em);
  if (row.terminal && !row.costRecorded) await recordBatchCost(gw, row);
  return { status: row.status, terminal: row.terminal, done: row.terminal && row.costRecorded };
}
