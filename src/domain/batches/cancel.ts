import type { ProviderBatch } from '../../providers/types.js';
import type { Principal } from '../access/principal.js';
import { providerFor, type Gateway } from '../gateway.js';
import { fromProviderError } from '../upstream-error.js';
import { findVisibleBatch } from './find-batch.js';
import { settleBatch } from './settle.js';
import { recordBatchState } from './record-state.js';
import type { BatchObject } from './translate-batch.js';

/** Cancel: at the batch's own deployment; the state it answers with is stored like a retrieve's. */
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
