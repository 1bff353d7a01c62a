import { Team, VirtualKey } from '../../db/entities/index.js';
import type { Gateway } from '../gateway.js';
import type { Principal } from './principal.js';

/** The principal for a key hash, or null when no live key has it (unknown, deleted or expired). */
export async function resolveVirtualKey(gw: Gateway, tokenHash: string): Promise<Principal | null> {
  const em = gw.em();
  const key = await em.findOne(VirtualKey, { tokenHash });
  if (!key) return null;
  if (key.expiresAt !== null && key.expiresAt !== undefined && key.expiresAt <= Math.floor(Date.now() / 1000)) return null;
  let models: string[] | null = key.models.length > 0 ? key.models : null;
  if (!models && key.teamId) {
    const team = await em.findOne(Team, { id: key.teamId });
    models = team && team.models.length > 0 ? team.models : null;
  }
  return {
    kind: 'key',
    keyId: key.id,
    userId: key.userId ?? null,
    teamId: key.teamId ?? null,
    models,
    allowProviderRoutes: key.allowProviderRoutes,
  };
}
