import type { Principal } from '../access/principal.js';
import { mayUseGroup } from '../access/visibility.js';
import type { Gateway } from '../gateway.js';

/** `GET /model_group/info`: LiteLLM's shape, limited to what the caller may use; no keys, no bases. */
export function listModelGroups(gw: Gateway, principal: Principal) {
  const data = [...gw.config.groups.values()]
    .filter((g) => mayUseGroup(principal, g.name))
    .map((g) => ({
      model_group: g.name,
      mode: g.mode,
      providers: [...new Set(g.deployments.map((d) => d.provider))],
      deployments: g.deployments.length,
      /** One entry per deployment, in config order: which provider serves it (never its name or endpoint). */
      deployment_providers: g.deployments.map((d) => d.provider),
      input_cost_per_token_batches: g.deployments[0].inputCostPerTokenBatches ?? null,
      output_cost_per_token_batches: g.deployments[0].outputCostPerTokenBatches ?? null,
    }));
  return { data };
}

/** `GET /v1/models`: OpenAI's Model list, one entry per usable model group. */
export function listModels(gw: Gateway, principal: Principal) {
  return {
    object: 'list' as const,
    data: [...gw.config.groups.values()]
      .filter((g) => mayUseGroup(principal, g.name))
      .map((g) => ({ id: g.name, object: 'model' as const, created: 0, owned_by: 'sluice' })),
  };
}
