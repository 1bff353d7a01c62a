import type { EntityManager } from '@mikro-orm/sql';
import { ManagedFile } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { visibleTo } from '../access/visibility.js';
import { notFound } from '../errors.js';
import { isUnifiedFileId } from '../ids.js';

/** Resolves a unified file ID and checks ownership in one query: unknown, foreign and raw IDs are all a 404. */
export async function findVisibleFile(em: EntityManager, principal: Principal, id: string): Promise<ManagedFile> {
  if (!isUnifiedFileId(id)) throw notFound('file', id);
  const file = await em.findOne(ManagedFile, { id, ...visibleTo(principal) });
  if (!file) throw notFound('file', id);
  return file;
}
