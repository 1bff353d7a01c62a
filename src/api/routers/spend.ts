import { z } from 'zod';
import { listSpendLogs } from '../../domain/cost/spend-logs.js';
import { dateFilter, idFilter, name, text } from '../input-strings.js';
import { parseInput } from '../parse-input.js';
import { adminProcedure, router } from '../trpc.js';

const spendLogsInput = z.object({
  api_key: text(255).min(1).optional(),
  team_id: idFilter.min(1).optional(),
  user_id: name.min(1).optional(),
  batch_id: idFilter.min(1).optional(),
  start_date: dateFilter.min(1).optional(),
  end_date: dateFilter.min(1).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

/** Recorded batch costs (LiteLLM's `/spend/logs`): the master key's business. */
export const spendRouter = router({
  logs: adminProcedure.input(parseInput(spendLogsInput)).query(({ ctx, input }) => listSpendLogs(ctx.gw, input)),
});
