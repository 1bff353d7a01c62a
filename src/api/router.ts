import { batchesRouter } from './routers/batches.js';
import { filesRouter } from './routers/files.js';
import { keysRouter } from './routers/keys.js';
import { modelsRouter } from './routers/models.js';
import { providerRoutesRouter } from './routers/provider-routes.js';
import { teamsRouter } from './routers/teams.js';
import { spendRouter } from './routers/spend.js';
import { createCallerFactory, router } from './trpc.js';

/** THE list of operations. REST, gRPC and tRPC are adapters over it. */
export const appRouter = router({
  files: filesRouter,
  batches: batchesRouter,
  models: modelsRouter,
  spend: spendRouter,
  keys: keysRouter,
  teams: teamsRouter,
  providerRoutes: providerRoutesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
