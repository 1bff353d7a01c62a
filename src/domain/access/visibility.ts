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

/** The same rule for a row already in hand (a cached one): true when visibleTo's WHERE would have matched it. */
export function canSee(p: Principal, owner: { ownerKeyId?: string | null; ownerTeamId?: string | null }): boolean {
  if (p.kind === 'master') return true;
  if (p.teamId) return owner.ownerTeamId === p.teamId;
  return owner.ownerKeyId === p.keyId;
}

export function mayUseGroup(p: Principal, group: string): boolean {
  return p.kind === 'master' || p.models === null || p.models.includes(group);
}
