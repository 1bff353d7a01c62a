import type { Principal } from './principal.js';

/**
 * The visibility rule, as a WHERE fragment to AND with every lookup and list: the master key sees everything;
 * a key in a team sees its team's objects; a key without a team sees only its own. Putting this in the same
 * query as the ID means another tenant's object is indistinguishable from one that does not exist.
 */
export function visibleTo(p: Principal): Record<string, unknown> {
  if (p.kind === 'master') return {};
  if (p.teamId) return { ownerTeamId: p.teamId };
  return { ownerKeyId: p.keyId };
}

export function mayUseGroup(p: Principal, group: string): boolean {
  return p.kind === 'master' || p.models === null || p.models.includes(group);
}
