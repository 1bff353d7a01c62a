import type { ManagedBatch } from '../../db/entities/index.js';
import { recordBatchCost } from '../cost/record-batch-cost.js';
import type { Gateway } from '../gateway.js';

/**
 * For the user-facing paths (retrieve, cancel): a batch seen terminal gets its cost recorded now, so spend is
 * current when the caller sees `completed`. A failure here never fails the caller's request: the tracker retries.
 */
export async function settleBatch(gw: Gateway, row: ManagedBatch): Promise<void> {
  if (!row.terminal || row.costRecorded) return;
  try {
    await recordBatchCost(gw, row);
  } catch (err) {
    gw.log.warn(
      { event: 'batch_cost_deferred', batch_id: row.id, error: (err as Error).message },
      'cost accounting failed; the tracker will retry',
    );
  }
}
