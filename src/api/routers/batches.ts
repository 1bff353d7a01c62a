import { cancelManagedBatch, listManagedBatches, retrieveManagedBatch } from '../../domain/batches/batch-operations.js';
import { createManagedBatch } from '../../domain/batches/create-batch.js';
import { watchBatch } from './batch-watch.js';
import { batchIdInput, createBatchInput, listBatchesInput } from '../inputs.js';
import { parseInput } from '../parse-input.js';
import { authedProcedure, router } from '../trpc.js';

export const batchesRouter = router({
  create: authedProcedure.input(parseInput(createBatchInput)).mutation(({ ctx, input }) => createManagedBatch(ctx.gw, ctx.principal, input)),
  retrieve: authedProcedure.input(parseInput(batchIdInput)).query(({ ctx, input }) => retrieveManagedBatch(ctx.gw, ctx.principal, input.batch_id)),
  cancel: authedProcedure.input(parseInput(batchIdInput)).mutation(({ ctx, input }) => cancelManagedBatch(ctx.gw, ctx.principal, input.batch_id)),
  list: authedProcedure
    .input(parseInput(listBatchesInput))
    .query(({ ctx, input }) =>
      listManagedBatches(ctx.gw, ctx.principal, { limit: input.limit, after: input.after, targetModelNames: input.target_model_names }),
    ),
  watch: watchBatch,
});
