import { z } from 'zod';
import { GatewayError } from '../../domain/errors.js';
import { deleteKeys, findKey, generateKey, keyInfo, listKeys, updateKey } from '../../domain/keys/keys.js';
import { toKeyInfo } from '../../domain/keys/key-info.js';
import { idFilter, jsonMetadata, MAX_MODEL_NAMES, modelName, name, text } from '../input-strings.js';
import { parseInput } from '../parse-input.js';
import { adminProcedure, authedProcedure, router } from '../trpc.js';

const keyFields = {
  models: z.array(modelName).max(MAX_MODEL_NAMES).optional(),
  user_id: name.nullish(),
  team_id: idFilter.max(64).nullish(),
  key_alias: name.nullish(),
  duration: text(32).nullish(),
  max_budget: z.number().nonnegative().max(1e12).nullish(),
  metadata: jsonMetadata.nullish(),
  allow_provider_routes: z.boolean().optional(),
};

/** LiteLLM-compatible key management (`/key/*`): the master key's business, except a key reading itself. */
export const keysRouter = router({
  generate: adminProcedure.input(parseInput(z.object(keyFields))).mutation(({ ctx, input }) => generateKey(ctx.gw, input)),
  update: adminProcedure
    .input(parseInput(z.object({ key: text(255).min(1), ...keyFields })))
    .mutation(({ ctx, input }) => updateKey(ctx.gw, input)),
  delete: adminProcedure
    .input(parseInput(z.object({ keys: z.array(text(255).min(1)).min(1).max(1000) })))
    .mutation(({ ctx, input }) => deleteKeys(ctx.gw, input.keys)),
  list: adminProcedure
    .input(
      parseInput(
        z.object({
          team_id: idFilter.optional(),
          user_id: name.optional(),
          page: z.number().int().min(1).optional(),
          size: z.number().int().min(1).max(1000).optional(),
          return_full_object: z.boolean().optional(),
        }),
      ),
    )
    .query(({ ctx, input }) => listKeys(ctx.gw, input)),
  info: authedProcedure.input(parseInput(z.object({ key: text(255).optional() }))).query(async ({ ctx, input }) => {
    if (ctx.principal.kind === 'master') {
      if (!input.key) throw new GatewayError('invalid_request', "Missing required parameter: 'key'", 'key', 'missing_required_parameter');
      return keyInfo(ctx.gw, input.key);
    }
    const self = ctx.principal.keyId;
    if (input.key) {
      const asked = await findKey(ctx.gw, input.key).catch(() => null);
      if (!asked || asked.id !== self)
        throw new GatewayError('permission', 'A key may only read its own info', 'key', 'master_key_required');
    }
    return { key: self, info: toKeyInfo(await findKey(ctx.gw, self)) };
  }),
});
