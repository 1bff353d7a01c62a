import { z } from 'zod';

/**
 * The shapes every string from a caller is checked against before it reaches the domain, so that the same
 * input is refused the same way on every route and every transport. Three things break the database rather
 * than the rule: a NUL character (PostgreSQL's text cannot hold one: the query fails), a lone UTF-16 surrogate
 * (`"\ud800"` is valid JSON, but PostgreSQL's json types refuse it: found by test/fuzz) and a value longer
 * than its column (PostgreSQL refuses it, SQLite keeps it). All are the caller's mistake, so all are a 400 here.
 */
const noNul = (v: string) => !v.includes('\u0000');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const wellFormed = (v: string) => !LONE_SURROGATE.test(v);

/** A string of at most `max` characters, without NUL, and valid Unicode. */
export const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine(noNul, 'must not contain NUL characters')
    .refine(wellFormed, 'must be valid Unicode (a lone surrogate is not)');

/** Names of people, keys and teams as LiteLLM takes them (`user_id`, `key_alias`, `team_alias`): 255 as in the schema. */
export const name = text(255);

/** A model group name. */
export const modelName = text(255);

/** At most this many model names in one list. */
export const MAX_MODEL_NAMES = 100;

/**
 * Any ID a caller names: ours (`file-…`, `batch_…`, `key_…`, `team_…`) or a provider's raw one on the
 * provider routes. None is longer than 255 characters or uses other characters, so anything else cannot exist:
 * the route answers it as it answers an unknown ID (see `isPlausibleId` and parseInput's notFound).
 */
const ID = /^[A-Za-z0-9_.:-]{1,255}$/;
export const isPlausibleId = (v: string) => ID.test(v);

/**
 * A path or body ID of a `what`: an impossible one is the same 404 as an unknown one (parseInput reads the
 * `notFound` param), so a lookup never sees it and no caller learns more from a malformed ID than from a wrong one.
 */
export const objectId = (what: 'file' | 'batch') => z.string().refine(isPlausibleId, { params: { notFound: what } });

/** A filter value that names an ID (`?team_id=`, `?batch_id=`): a bad one is a 400, as a filter is not a lookup. */
export const idFilter = text(255).refine((v) => v === '' || isPlausibleId(v), 'is not a valid ID');

/** A date filter: short, so no 400-digit number reaches the parser or the query. */
export const dateFilter = text(40);

/**
 * Free-form JSON `metadata` of keys and teams: at most 16 KB as JSON, nested at most 5 levels, no NUL anywhere.
 * Deeper values used to overflow the stack on the way to the database (issue 8: 10k levels → 500).
 */
export const MAX_METADATA_DEPTH = 5;
export const MAX_METADATA_BYTES = 16 * 1024;
export const jsonMetadata = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = metadataProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function metadataProblem(root: unknown): string | null {
  // Iterative, with the depth checked before descending: a hostile value can never make this recurse.
  const stack: { v: unknown; depth: number }[] = [{ v: root, depth: 1 }];
  let seen = 0;
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (++seen > 10_000) return 'has too many values';
    if (typeof v === 'string') {
      if (!noNul(v)) return 'must not contain NUL characters';
      if (!wellFormed(v)) return 'must be valid Unicode (a lone surrogate is not)';
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_METADATA_DEPTH) return `must not be nested more than ${MAX_METADATA_DEPTH} levels deep`;
    for (const [k, child] of Object.entries(v)) {
      if (!noNul(k)) return 'must not contain NUL characters';
      if (!wellFormed(k)) return 'must be valid Unicode (a lone surrogate is not)';
      stack.push({ v: child, depth: depth + 1 });
    }
  }
  if (Buffer.byteLength(JSON.stringify(root)) > MAX_METADATA_BYTES) return `must be at most ${MAX_METADATA_BYTES} bytes as JSON`;
  return null;
}
