/**
 * OpenAI's list pages, one way everywhere: newest first by (created_at, id) with `after` = the last ID of the
 * previous page. A cursor the caller cannot see behaves like one past the end (an empty page), never another
 * tenant's neighbours, so every caller looks the cursor up with its own visibility first.
 */

/** OpenAI's list envelope around one page. */
export function listPage<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

/** An empty page: what an unknown or foreign cursor gets. */
export const emptyPage = <T extends { id: string }>() => listPage<T>([], false);

/** The WHERE fragment for the rows after `cursor` in (createdAt, id) order, descending or ascending. */
export function afterCursor(cursor: { createdAt: number; id: string }, desc = true): Record<string, unknown> {
  const op = desc ? '$lt' : '$gt';
  return { $or: [{ createdAt: { [op]: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { [op]: cursor.id } }] };
}

/** Asks for one row more than the page holds; this splits the answer into the page and `has_more`. */
export function splitPage<R>(rows: R[], limit: number): { rows: R[]; hasMore: boolean } {
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
