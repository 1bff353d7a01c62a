import { listModelGroups, listModels } from '../../domain/models/model-groups.js';
import { authedProcedure, router } from '../trpc.js';

export const modelsRouter = router({
  groups: authedProcedure.query(({ ctx }) => listModelGroups(ctx.gw, ctx.principal)),
  list: authedProcedure.query(({ ctx }) => listModels(ctx.gw, ctx.principal)),
});
