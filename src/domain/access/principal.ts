/**
 * Who is calling, resolved once by the router's auth middleware and passed to every domain function.
 * The master key is the admin; a virtual key carries its scope (models) and its owner identity.
 */
export type Principal =
  | { kind: 'master' }
  | {
      kind: 'key';
      keyId: string;
      userId: string | null;
      teamId: string | null;
      /** Model groups this key may use; null = every group. */
      models: string[] | null;
      allowProviderRoutes: boolean;
    };

export interface Owner {
  ownerKeyId: string | null;
  ownerUserId: string | null;
  ownerTeamId: string | null;
}

export const MASTER: Principal = { kind: 'master' };

/** The owner columns to stamp on an object this principal creates. */
export function ownerOf(p: Principal): Owner {
  if (p.kind === 'master') return { ownerKeyId: null, ownerUserId: null, ownerTeamId: null };
  return { ownerKeyId: p.keyId, ownerUserId: p.userId, ownerTeamId: p.teamId };
}
