import { z } from 'zod';
import { createTeam, listTeams, teamInfo } from '../../domain/keys/teams.js';
import { parseInput } from '../parse-input.js';
import { adminProcedure, router } from '../trpc.js';

/** LiteLLM-compatible teams (`/team/*`), master key only. */
export const teamsRouter = router({
  create: adminProcedure
    .input(
      parseInput(
        z.object({
          team_id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
          team_alias: z.string().nullish(),
          models: z.array(z.string()).optional(),
          max_budget: z.number().nonnegative().nullish(),
          metadata: z.record(z.string(), z.unknown()).nullish(),
        }),
      ),
    )
    .mutation(({ ctx, input }) => createTeam(ctx.gw, input)),
  info: adminProcedure.input(parseInput(z.object({ team_id: z.string().min(1) }))).query(({ ctx, input }) => teamInfo(ctx.gw, input.team_id)),
  list: adminProcedure.query(({ ctx }) => listTeams(ctx.gw)),
});
