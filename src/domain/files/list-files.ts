import { ManagedFile } from '../../db/entities/index.js';
import type { Principal } from '../access/principal.js';
import { visibleTo } from '../access/visibility.js';
import type { Gateway } from '../gateway.js';
import { isUnifiedFileId } from '../ids.js';
import { toFileObject } from './file-object.js';

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
    if (!cursor) return page([], false);
    const op = desc ? '$lt' : '$gt';
    where.$or = [{ createdAt: { [op]: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { [op]: cursor.id } }];
  }
  const rows = await em.find(ManagedFile, where, {
    orderBy: { createdAt: desc ? 'desc' : 'asc', id: desc ? 'desc' : 'asc' },
    limit: limit + 1,
  });
  return page(rows.slice(0, limit).map(toFileObject), rows.length > limit);
}

function page<T extends { id: string }>(data: T[], hasMore: boolean) {
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}
