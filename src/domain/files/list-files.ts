import { ManagedFile } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { visibleTo } from '../access/visibility.js';
import type { Gateway } from '../gateway.js';
import { isUnifiedFileId } from '../ids.js';
import { afterCursor, emptyPage, listPage, splitPage } from '../paging.js';
import { toFileObject, type FileObject } from './file-object.js';

export interface ListFilesInput {
  purpose?: string;
  limit?: number;
  after?: string;
  order?: 'asc' | 'desc';
}

/**
 * Lists the caller's files, newest first by default, with OpenAI's cursor (`after` = an object id). A cursor
 * the caller cannot see behaves like one past the end: an empty page, never another tenant's neighbours.
 */
export async function listManagedFiles(gw: Gateway, principal: Principal, input: ListFilesInput) {
  const em = gw.em();
  const limit = Math.min(Math.max(input.limit ?? 10_000, 1), 10_000);
  const desc = (input.order ?? 'desc') === 'desc';
  const where: Record<string, unknown> = { ...visibleTo(principal) };
  if (input.purpose) where.purpose = input.purpose;
  if (input.after) {
    const cursor = isUnifiedFileId(input.after) ? await em.findOne(ManagedFile, { id: input.after, ...where }) : null;
    if (!cursor) return emptyPage<FileObject>();
    Object.assign(where, afterCursor(cursor, desc));
  }
  const found = await em.find(ManagedFile, where, {
    orderBy: { createdAt: desc ? 'desc' : 'asc', id: desc ? 'desc' : 'asc' },
    limit: limit + 1,
  });
  const { rows, hasMore } = splitPage(found, limit);
  return listPage(rows.map(toFileObject), hasMore);
}
