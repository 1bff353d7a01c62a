import { z } from 'zod';
import { createTeam, listTeams, teamInfo } from '../../domain/keys/teams.js';
import { jsonMetadata, MAX_MODEL_NAMES, modelName, name, text } from '../input-strings.js';
import { parseInput } from '../parse-input.js';
import { adminProcedure, router } from '../trpc.js';

/** LiteLLM-compatible teams (`/team/*`), master key only. */
export const teamsRouter = router({
  create: adminProcedure
    .input(
      parseInput(
        z.object({
          team_id: z
            .string()
            .regex(/^[A-Za-z0-9_.-]{1,64}$/)
            .optional(),
          team_alias: name.nullish(),
          models: z.array(modelName).max(MAX_MODEL_NAMES).optional(),
          max_budget: z.number().nonnegative().max(1e12).nullish(),
          metadata: jsonMetadata.nullish(),
        }),
      ),
    )
    .mutation(({ ctx, input }) => createTeam(ctx.gw, input)),
  info: adminProcedure
    .input(parseInput(z.object({ team_id: text(255).min(1) })))
    .query(({ ctx, input }) => teamInfo(ctx.gw, input.team_id)),
  list: adminProcedure.query(({ ctx }) => listTeams(ctx.gw)),
});
