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

/**
 * For the user-facing paths (retrieve, cancel): a batch seen terminal gets its cost recorded now, so spend is
 * current when the caller sees `completed`. A failure here never fails the caller's request: the tracker retries.
 */
export async function settleBatch(gw: Gateway, row: ManagedBatch): Promise<void> {
  if (!row.terminal || row.costRecorded) return;
  try {
    await recordBatchCost(gw, row);
  } catch (err) {
    gw.log.warn({ event: 'batch_cost_deferred', batch_id: row.id, error: (err as Error).message }, 'cost accounting failed; the tracker will retry');
  }
}
