import { deleteManagedFile } from '../../domain/files/delete-file.js';
import { managedFileContent } from '../../domain/files/file-content.js';
import { toFileObject } from '../../domain/files/file-object.js';
import { findVisibleFile } from '../../domain/files/find-file.js';
import { listManagedFiles } from '../../domain/files/list-files.js';
import { uploadManagedFile } from '../../domain/files/upload.js';
import { fileIdInput, listFilesInput } from '../inputs.js';
import { parseInput } from '../parse-input.js';
import { authedProcedure, router } from '../trpc.js';
import { uploadInput, uploadSource } from '../upload-fields.js';

export const filesRouter = router({
  /** Every transport's uploads end here (tRPC's FormData and byte-stream ones too): the fields are checked once, here. */
  upload: authedProcedure
    .input(parseInput(uploadInput))
    .mutation(({ ctx, input }) => uploadManagedFile(ctx.gw, ctx.principal, uploadSource(input), ctx.signal)),
  list: authedProcedure.input(parseInput(listFilesInput)).query(({ ctx, input }) => listManagedFiles(ctx.gw, ctx.principal, input)),
  retrieve: authedProcedure
    .input(parseInput(fileIdInput))
    .query(async ({ ctx, input }) => toFileObject(await findVisibleFile(ctx.gw.em(), ctx.principal, input.file_id))),
  /** Returns a byte stream: for the in-process adapters (REST, gRPC); tRPC over HTTP adds `download` (transports/trpc). */
  content: authedProcedure
    .input(parseInput(fileIdInput))
    .query(({ ctx, input }) => managedFileContent(ctx.gw, ctx.principal, input.file_id, ctx.signal)),
  delete: authedProcedure
    .input(parseInput(fileIdInput))
    .mutation(({ ctx, input }) => deleteManagedFile(ctx.gw, ctx.principal, input.file_id)),
});
