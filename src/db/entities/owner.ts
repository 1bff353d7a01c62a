import { p } from '@mikro-orm/core';

/**
 * Who owns a managed object. Kept as plain columns on every owned table so that the ID lookup and the ownership
 * check are one WHERE clause (see domain/access/visibility.ts). `ownerKeyId` is null for objects made by the
 * master key.
 */
export const ownerColumns = {
  ownerKeyId: p.string().length(64).nullable().index(),
  ownerUserId: p.string().length(255).nullable(),
  ownerTeamId: p.string().length(64).nullable().index(),
};
