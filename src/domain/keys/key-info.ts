import type { VirtualKey } from '../../db/entities/index.js';

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : null);

/** LiteLLM's key info shape. `token` is the key's ID (LiteLLM: the hashed token); the secret is never here. */
export function toKeyInfo(k: VirtualKey) {
  return {
    token: k.id,
    key_name: k.keyName,
    key_alias: k.alias ?? null,
    models: k.models,
    user_id: k.userId ?? null,
    team_id: k.teamId ?? null,
    spend: k.spend,
    max_budget: k.maxBudget ?? null,
    expires: iso(k.expiresAt),
    metadata: k.metadata ?? {},
    allow_provider_routes: k.allowProviderRoutes,
    created_at: iso(k.createdAt),
  };
}
export type KeyInfo = ReturnType<typeof toKeyInfo>;
