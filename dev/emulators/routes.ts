/**
 * The Files and Batches endpoints, mounted under a prefix (`/v1` for OpenAI,
 * `/openai` and `/openai/v1` for Azure). Auth and api-version checks happen
 * before these, in the provider-specific modules.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest } from './api-error.js';
import { parseCreateBatch } from './batch-request.js';
import type { Dialect } from './dialect.js';
import { fileObject, parseLimit, type FileStore } from './file-store.js';
import { readJson, sendBytes, sendJson } from './http.js';
import type { BatchEngine } from './lifecycle.js';
import { parseMultipart } from './multipart.js';
import type { EmulatedFile, RecordedRequest } from './types.js';
import { acceptUpload } from './upload.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  record: RecordedRequest;
}

export interface Provider {
  dialect: Dialect;
  files: FileStore;
  batches: BatchEngine;
  /** Largest batch input file accepted (EmulatorOptions.maxBatchInputBytes). */
  maxBatchInputBytes?: number;
}

type Handler = (ctx: RequestContext, params: string[]) => Promise<void> | void;

export interface Route {
  method: string;
  pattern: RegExp;
  handle: Handler;
}

export interface RouteOptions {
  /** Extra headers for a successful upload (Azure's `Location`). */
  uploadHeaders?: (ctx: RequestContext, file: EmulatedFile) => Record<string, string>;
}

function listEnvelope<T extends { id: string }>(data: unknown[], items: T[], has_more: boolean): Record<string, unknown> {
  return {
    object: 'list',
    data,
    first_id: items[0]?.id ?? null,
    last_id: items.at(-1)?.id ?? null,
    has_more,
  };
}

function parseOrder(raw: string | undefined): 'asc' | 'desc' {
  if (raw === undefined || raw === 'desc') return 'desc';
  if (raw === 'asc') return 'asc';
  throw badRequest(`Invalid value: '${raw}'. Supported values are: 'asc' and 'desc'.`, 'order', 'invalid_value');
}

export function filesAndBatchesRoutes(provider: Provider, prefix: string, options: RouteOptions = {}): Route[] {
  const { dialect, files, batches } = provider;
  const at = (suffix: string): RegExp => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${suffix}/?$`);
  const ID = '([^/]+)';

  return [
    {
      method: 'POST',
      pattern: at('/files'),
      handle: async (ctx) => {
        const form = await parseMultipart(ctx.req);
        const file = acceptUpload(form, dialect, files, provider.maxBatchInputBytes);
        sendJson(ctx.res, dialect.uploadStatus, fileObject(file), options.uploadHeaders?.(ctx, file) ?? {});
      },
    },
    {
      method: 'GET',
      pattern: at('/files'),
      handle: (ctx) => {
        const q = ctx.url.searchParams;
        const purpose = q.get('purpose') ?? undefined;
        const after = q.get('after') ?? undefined;
        const result = files.list({
          limit: parseLimit(q.get('limit') ?? undefined, 10_000, 10_000),
          order: parseOrder(q.get('order') ?? undefined),
          ...(purpose === undefined ? {} : { purpose }),
          ...(after === undefined ? {} : { after }),
        });
        sendJson(ctx.res, 200, listEnvelope(result.data.map(fileObject), result.data, result.has_more));
      },
    },
    {
      method: 'GET',
      pattern: at(`/files/${ID}`),
      handle: (ctx, [id]) => sendJson(ctx.res, 200, fileObject(files.get(id!))),
    },
    {
      method: 'DELETE',
      pattern: at(`/files/${ID}`),
      handle: (ctx, [id]) => {
        files.delete(id!);
        sendJson(ctx.res, 200, { id, object: 'file', deleted: true });
      },
    },
    {
      method: 'GET',
      pattern: at(`/files/${ID}/content`),
      handle: (ctx, [id]) => {
        const file = files.get(id!);
        if (file.purpose === 'assistants') {
          throw badRequest('Not allowed to download files of purpose: assistants', null);
        }
        sendBytes(ctx.res, file.content);
      },
    },
    {
      method: 'POST',
      pattern: at('/batches'),
      handle: async (ctx) => {
        const body = await readJson(ctx.req);
        ctx.record.body = body;
        const batch = batches.create(parseCreateBatch(body, dialect, files));
        sendJson(ctx.res, 200, batch);
      },
    },
    {
      method: 'GET',
      pattern: at('/batches'),
      handle: (ctx) => {
        const q = ctx.url.searchParams;
        const result = batches.list(q.get('after') ?? undefined, parseLimit(q.get('limit') ?? undefined, 20, 100));
        sendJson(ctx.res, 200, listEnvelope(result.data, result.data, result.has_more));
      },
    },
    {
      method: 'GET',
      pattern: at(`/batches/${ID}`),
      handle: (ctx, [id]) => sendJson(ctx.res, 200, batches.get(id!)),
    },
    {
      method: 'POST',
      pattern: at(`/batches/${ID}/cancel`),
      handle: (ctx, [id]) => sendJson(ctx.res, 200, batches.cancel(id!)),
    },
  ];
}

/** Finds the route for a request. Unknown paths and methods get OpenAI's "Invalid URL" 404. */
export function findRoute(routes: Route[], method: string, pathname: string): { route: Route; params: string[] } {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(pathname);
    if (match) return { route, params: match.slice(1).map(decodeSegment) };
  }
  throw new ApiError(404, `Invalid URL (${method} ${pathname})`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed %-escape: use it as written; lookups then 404 normally
  }
}
