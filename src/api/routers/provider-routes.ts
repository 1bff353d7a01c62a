import { z } from 'zod';
import { cancelRouteBatch, createRouteBatch, getRouteBatch, listRouteBatches } from '../../domain/provider-routes/route-batches.js';
import {
  deleteRouteFile,
  getRouteFile,
  listRouteFiles,
  routeFileContent,
  uploadRouteFile,
} from '../../domain/provider-routes/route-files.js';
import { createBatchInput } from '../inputs.js';
import { uploadInput, uploadSource } from '../upload-fields.js';
import { idFilter, objectId } from '../input-strings.js';
import { parseInput } from '../parse-input.js';
import { authedProcedure, router } from '../trpc.js';

const route = z.enum(['azure', 'openai']);
const fileRef = z.object({ route, file_id: objectId('file') });
const batchRef = z.object({ route, batch_id: objectId('batch') });
const page = z.object({ route, limit: z.number().int().min(1).max(1000).optional(), after: idFilter.optional() });

/**
 * Pass-through provider routes (/azure/v1/*, /openai/v1/*): raw provider objects, no fan-out, but every object
 * is recorded with its owner and every call checks it, so isolation holds here too.
 */
export const providerRoutesRouter = router({
  uploadFile: authedProcedure
    .input(parseInput(z.object({ route, upload: uploadInput })))
    .mutation(({ ctx, input }) => uploadRouteFile(ctx.gw, ctx.principal, input.route, uploadSource(input.upload))),
  getFile: authedProcedure
    .input(parseInput(fileRef))
    .query(({ ctx, input }) => getRouteFile(ctx.gw, ctx.principal, input.route, input.file_id)),
  fileContent: authedProcedure
    .input(parseInput(fileRef))
    .query(({ ctx, input }) => routeFileContent(ctx.gw, ctx.principal, input.route, input.file_id, ctx.signal)),
  deleteFile: authedProcedure
    .input(parseInput(fileRef))
    .mutation(({ ctx, input }) => deleteRouteFile(ctx.gw, ctx.principal, input.route, input.file_id)),
  listFiles: authedProcedure.input(parseInput(page)).query(({ ctx, input }) => listRouteFiles(ctx.gw, ctx.principal, input.route, input)),
  createBatch: authedProcedure.input(parseInput(createBatchInput.extend({ route }))).mutation(({ ctx, input }) => {
    const { route: r, idempotency_key: _ignored, ...body } = input; // pass-through: the provider's own semantics
    return createRouteBatch(ctx.gw, ctx.principal, r, body);
  }),
  getBatch: authedProcedure
    .input(parseInput(batchRef))
    .query(({ ctx, input }) => getRouteBatch(ctx.gw, ctx.principal, input.route, input.batch_id)),
  cancelBatch: authedProcedure
    .input(parseInput(batchRef))
    .mutation(({ ctx, input }) => cancelRouteBatch(ctx.gw, ctx.principal, input.route, input.batch_id)),
  listBatches: authedProcedure
    .input(parseInput(page))
    .query(({ ctx, input }) => listRouteBatches(ctx.gw, ctx.principal, input.route, input)),
});
