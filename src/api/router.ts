import type { inferRouterInputs } from '@trpc/server';
import { batchesRouter } from './routers/batches.js';
import { filesRouter } from './routers/files.js';
import { keysRouter } from './routers/keys.js';
import { modelsRouter } from './routers/models.js';
import { providerRoutesRouter } from './routers/provider-routes.js';
import { teamsRouter } from './routers/teams.js';
import { spendRouter } from './routers/spend.js';
import { createCallerFactory, router } from './trpc.js';

/** The routers by name, for a transport that adds wire-specific procedures to one of them (transports/trpc). */
export const routers = {
  files: filesRouter,
  batches: batchesRouter,
  models: modelsRouter,
  spend: spendRouter,
  keys: keysRouter,
  teams: teamsRouter,
  providerRoutes: providerRoutesRouter,
};

/** THE list of operations. REST, gRPC and tRPC are adapters over it. */
export const appRouter = router(routers);

export type AppRouter = typeof appRouter;

/**
 * What each procedure accepts before its schema runs. Adapters hand the router what came off their wire typed as
 * this (REST's JSON bodies are `unknown` to Fastify): the router's zod schema is what checks it.
 */
export type RouterInputs = inferRouterInputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
