import { Team, VirtualKey } from '../../db/entities/index.js';
import type { Gateway } from '../gateway.js';
import type { Principal } from './principal.js';

/**
 * The principal for a key hash, or null when no live key has it (unknown, deleted or expired). Served from the
 * replica's cache when looked up less than PRINCIPAL_TTL_MS ago (a change made elsewhere shows within 1 s).
 */
export async function resolveVirtualKey(gw: Gateway, tokenHash: string): Promise<Principal | null> {
  const cached = gw.principals.get(tokenHash);
  if (cached !== undefined) return cached;
  const found = await lookUpVirtualKey(gw, tokenHash);
  gw.principals.set(tokenHash, found?.principal ?? null, found?.expiresAt ?? null);
  return found?.principal ?? null;
}

async function lookUpVirtualKey(gw: Gateway, tokenHash: string): Promise<{ principal: Principal; expiresAt: number | null } | null> {
  const em = gw.em();
  const key = await em.findOne(VirtualKey, { tokenHash });
  if (!key) return null;
  const expiresAt = key.expiresAt ?? null;
  if (expiresAt !== null && expiresAt <= Math.floor(Date.now() / 1000)) return null;
  let models: string[] | null = key.models.length > 0 ? key.models : null;
  if (!models && key.teamId) {
    const team = await em.findOne(Team, { id: key.teamId });
    models = team && team.models.length > 0 ? team.models : null;
  }
  const principal: Principal = {
    kind: 'key',
    keyId: key.id,
    userId: key.userId ?? null,
    teamId: key.teamId ?? null,
    models,
    allowProviderRoutes: key.allowProviderRoutes,
  };
  return { principal, expiresAt };
}
