import { cancelManagedBatch } from '../../domain/batches/cancel.js';
import { listManagedBatches } from '../../domain/batches/list.js';
import { retrieveManagedBatch } from '../../domain/batches/retrieve.js';
import { createBatchOnce } from '../../domain/batches/create-batch-once.js';
import { watchBatch } from './batch-watch.js';
import { batchIdInput, createBatchInput, listBatchesInput } from '../inputs.js';
import { authedOperation } from '../direct-operation.js';
import { parseInput } from '../parse-input.js';
import { authedProcedure, router } from '../trpc.js';

/** The hot path (batch polling): REST runs it without tRPC's per-call machinery (api/direct-operation.ts). */
export const retrieveBatch = authedOperation(batchIdInput, ({ gw, principal }, input) =>
  retrieveManagedBatch(gw, principal, input.batch_id),
);

/** Also polled (a dashboard, a loop over pages): REST runs it directly too. */
export const listBatches = authedOperation(listBatchesInput, ({ gw, principal }, input) =>
  listManagedBatches(gw, principal, { limit: input.limit, after: input.after, targetModelNames: input.target_model_names }),
);

export const batchesRouter = router({
  create: authedProcedure.input(parseInput(createBatchInput)).mutation(({ ctx, input }) => {
    const { idempotency_key, sdk_retry, ...body } = input;
    return createBatchOnce(ctx.gw, ctx.principal, body, idempotency_key, { sdkRetry: sdk_retry });
  }),
  retrieve: authedProcedure.input(parseInput(retrieveBatch.input)).query(({ ctx, input }) => retrieveBatch.run(ctx, input)),
  cancel: authedProcedure
    .input(parseInput(batchIdInput))
    .mutation(({ ctx, input }) => cancelManagedBatch(ctx.gw, ctx.principal, input.batch_id)),
  list: authedProcedure.input(parseInput(listBatches.input)).query(({ ctx, input }) => listBatches.run(ctx, input)),
  watch: watchBatch,
});
