/** Uploaded and generated files, and the OpenAIFile objects the API returns for them. */
import { badRequest, notFound } from './api-error.js';
import type { Dialect } from './dialect.js';
import type { EmulatedFile, FilePurpose } from './types.js';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The File object as OpenAI sends it. `status` is deprecated but still required by the spec and SDK types. */
export function fileObject(file: EmulatedFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.created_at,
    ...(file.expires_at === undefined ? {} : { expires_at: file.expires_at }),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  };
}

export interface FileListQuery {
  purpose?: string;
  limit: number;
  order: 'asc' | 'desc';
  after?: string;
}

export class FileStore {
  readonly files = new Map<string, EmulatedFile>();

  constructor(private readonly dialect: Dialect) {}

  add(input: { filename: string; purpose: FilePurpose; content: Buffer; expiresAfterSeconds?: number }): EmulatedFile {
    const created_at = nowSeconds();
    const file: EmulatedFile = {
      id: this.dialect.newFileId(),
      bytes: input.content.length,
      filename: input.filename,
      purpose: input.purpose,
      created_at,
      content: input.content,
    };
    if (input.expiresAfterSeconds !== undefined) file.expires_at = created_at + input.expiresAfterSeconds;
    this.files.set(file.id, file);
    return file;
  }

  get(id: string): EmulatedFile {
    const file = this.files.get(id);
    if (!file) throw notFound(`No such File object: ${id}`, 'id');
    return file;
  }

  delete(id: string): void {
    this.get(id);
    this.files.delete(id);
  }

  /** Sorted by created_at; files created in the same second keep upload order. */
  list(query: FileListQuery): { data: EmulatedFile[]; has_more: boolean } {
    let all = [...this.files.values()];
    if (query.purpose !== undefined) all = all.filter((f) => f.purpose === query.purpose);
    all.sort((a, b) => a.created_at - b.created_at); // stable: ties stay in insertion order
    if (query.order === 'desc') all.reverse();
    return page(all, query.after, query.limit);
  }
}

/**
 * One page of an ordered list after the `after` cursor. An unknown cursor
 * gives an empty page rather than an error: older SDKs page until they see
 * one, and a cursor item may have been deleted meanwhile.
 */
export function page<T extends { id: string }>(ordered: T[], after: string | undefined, limit: number): { data: T[]; has_more: boolean } {
  let start = 0;
  if (after !== undefined) {
    const index = ordered.findIndex((item) => item.id === after);
    if (index < 0) return { data: [], has_more: false };
    start = index + 1;
  }
  const data = ordered.slice(start, start + limit);
  return { data, has_more: start + limit < ordered.length };
}

/** Parses a `limit` query parameter the way OpenAI reports bad values. */
export function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) {
    throw badRequest(`Invalid 'limit': expected an integer, but got '${raw}' instead.`, 'limit', 'invalid_type');
  }
  if (value < 1) {
    throw badRequest(
      `Invalid 'limit': integer below minimum value. Expected a value >= 1, but got ${value} instead.`,
      'limit',
      'integer_below_min_value',
    );
  }
  if (value > max) {
    throw badRequest(
      `Invalid 'limit': integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
      'limit',
      'integer_above_max_value',
    );
  }
  return value;
}
