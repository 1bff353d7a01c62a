import type { VirtualKey } from '../../db/entities/index.js';

/**
 * A stored time as ISO text. Rows written before durations were bounded can hold times no Date can print
 * (a RangeError once made /key/info and /key/list answer 500): those read as null, "no expiry" in practice.
 */
const iso = (seconds: number | null | undefined) => {
  if (!seconds) return null;
  const date = new Date(Number(seconds) * 1000);
  return Number.isFinite(date.getTime()) ? date.toISOString() : null;
};

/**
 * LiteLLM's key info shape. `token` is the key's ID (LiteLLM: the hashed token); the secret is never here.
 * Spelled out rather than inferred from the entity, whose ORM brands (`Opt<…>`) would reach the clients' types.
 */
export interface KeyInfo {
  token: string;
  key_name: string;
  key_alias: string | null;
  models: string[];
  user_id: string | null;
  team_id: string | null;
  spend: number | string;
  max_budget: number | string | null;
  expires: string | null;
  metadata: Record<string, unknown>;
  allow_provider_routes: boolean;
  created_at: string | null;
}

export function toKeyInfo(k: VirtualKey): KeyInfo {
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
