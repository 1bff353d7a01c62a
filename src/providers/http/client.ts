import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { LRUCache } from 'lru-cache';
import { ProviderError } from '../types.js';
import { requestWhole, type WholeResponse } from './read-whole.js';
import { scrubSecrets } from './scrub.js';

/**
 * The last answer per URL of calls with `reuse`, shared by all clients and bounded (URLs carry IDs). An entry
 * is only ever used for the very text it was parsed from, so its key decides how often it helps, never what a
 * call returns.
 */
const lastAnswers = new LRUCache<string, { text: string; value: unknown }>({ max: 1_000 });

/** One keep-alive pool for all upstream calls; undici keeps a connection pool per origin inside it. */
const sharedAgent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 64 });

export interface UpstreamOptions {
  baseUrl: string;
  headers: Record<string, string>;
  query?: Record<string, string>;
  timeoutMs: number;
  /** Values that must never appear in an error message (the deployment's API key). */
  secrets: string[];
  maxRetries?: number;
  /** Labels the calls reported to `observer`. */
  deploymentId?: string;
  observer?: UpstreamObserver;
}

/** One upstream HTTP attempt as an observer sees it: `route` has IDs replaced by `{id}`. */
export interface UpstreamCallInfo {
  deploymentId: string;
  method: string;
  route: string;
}

/**
 * Told about every upstream HTTP attempt (metrics, tracing live outside providers/): `start` is called as it
 * starts, and the function it returns once it ends, with the HTTP status (0: no answer) and the error, if any.
 */
export interface UpstreamObserver {
  start(call: UpstreamCallInfo): (end: { status: number; error?: string }) => void;
}

type Body = string | Buffer | AsyncIterable<Uint8Array>;

interface Call {
  method: Dispatcher.HttpMethod;
  path: string;
  json?: unknown;
  /** A body factory so that a retry can produce the body again. */
  body?: () => Body;
  headers?: Record<string, string>;
  /** Retry on 429/5xx/network errors. Only for calls that are safe to repeat. */
  retry?: boolean;
  signal?: AbortSignal;
  /** The metrics/tracing label (`/batches/{id}`), where the caller knows it; otherwise derived from the path. */
  route?: string;
  /**
   * An answer byte-identical to the previous one for this path returns the previous value, the very same
   * object, unparsed: a running batch polled in a tight loop mostly answers the same, and the domain can then
   * skip its work too (domain/batches/record-state.ts). Callers treat such values as read-only.
   */
  reuse?: boolean;
}

/** A response as the retry loop sees it: read whole (json), or open (stream). */
type Answer = WholeResponse | Dispatcher.ResponseData;

/**
 * HTTP to one OpenAI-shaped upstream. Retries idempotent calls on 429, 5xx and network errors with exponential
 * backoff (honouring Retry-After up to 10 s); maps every failure to a ProviderError with a scrubbed message.
 */
export class UpstreamClient {
  /** Origin and path prefix of `baseUrl`, parsed once: undici takes them as they are, with no URL to parse per call. */
  private readonly base: { origin: string; pathPrefix: string } | null;

  constructor(private readonly opts: UpstreamOptions) {
    const url = new URL(opts.baseUrl);
    const plain = !url.search && !url.hash && Object.keys(opts.query ?? {}).length === 0;
    this.base = plain ? { origin: url.origin, pathPrefix: url.pathname.replace(/\/$/, '') } : null;
  }

  /** Where a call goes: a URL to parse only when query parameters must be merged (Azure's api-version). */
  private target(path: string): { origin: string; path: string } {
    if (this.base) return { origin: this.base.origin, path: this.base.pathPrefix + path };
    const url = new URL(this.opts.baseUrl + path);
    for (const [k, v] of Object.entries(this.opts.query ?? {})) url.searchParams.set(k, v);
    return { origin: url.origin, path: url.pathname + url.search };
  }

  async json<T>(call: Call): Promise<T> {
    const res = await this.send(call, (options) => requestWhole(sharedAgent, options, call.signal));
    const key = call.reuse ? this.opts.baseUrl + call.path : undefined;
    const reuse = key === undefined ? undefined : lastAnswers.get(key);
    if (reuse?.text === res.text) return reuse.value as T;
    let value: T;
    try {
      value = JSON.parse(res.text) as T;
    } catch {
      throw new ProviderError(502, `upstream answered ${call.method} ${call.path} with a body that is not JSON`);
    }
    if (key !== undefined) lastAnswers.set(key, { text: res.text, value });
    return value;
  }

  /** Returns the open response; the caller consumes (or destroys) the body stream. */
  async stream(call: Call): Promise<{ body: Readable; headers: Record<string, string | string[] | undefined> }> {
    const res = await this.send(call, (options) => sharedAgent.request({ ...options, signal: call.signal }));
    return { body: res.body as unknown as Readable, headers: res.headers };
  }

  private async send<R extends Answer>(call: Call, exchange: (options: Dispatcher.DispatchOptions) => Promise<R>): Promise<R> {
    const attempts = call.retry ? (this.opts.maxRetries ?? 2) + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.observed(call, exchange);
        if (res.statusCode < 400) return res;
        const error = await this.toError(res);
        if (attempt < attempts && (error.status === 429 || error.status >= 500)) {
          await sleep(backoffMs(attempt, error.retryAfter), undefined, { signal: call.signal });
          continue;
        }
        throw error;
      } catch (err) {
        if (err instanceof ProviderError) throw err;
        if (call.signal?.aborted) throw err;
        const error = new ProviderError(0, `upstream unreachable: ${this.scrub((err as Error).message)}`);
        if (attempt < attempts) {
          await sleep(backoffMs(attempt), undefined, { signal: call.signal });
          continue;
        }
        throw error;
      }
    }
  }

  private async observed<R extends Answer>(call: Call, exchange: (options: Dispatcher.DispatchOptions) => Promise<R>): Promise<R> {
    const observer = this.opts.observer;
    if (!observer) return exchange(this.options(call));
    const end = observer.start({
      deploymentId: this.opts.deploymentId ?? 'unknown',
      method: call.method,
      route: call.route ?? routeOf(call.path),
    });
    try {
      const res = await exchange(this.options(call));
      end({ status: res.statusCode, ...(res.statusCode >= 400 ? { error: `HTTP ${res.statusCode}` } : {}) });
      return res;
    } catch (err) {
      end({ status: 0, error: this.scrub((err as Error).message) });
      throw err;
    }
  }

  /** One attempt's request: built again for each, so that a retry sends the body again. */
  private options(call: Call): Dispatcher.DispatchOptions {
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers, ...call.headers };
    let body: Body | undefined;
    if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['content-type'] = 'application/json';
    } else if (call.body) {
      body = call.body();
    }
    return {
      ...this.target(call.path),
      method: call.method,
      headers,
      body: body as Dispatcher.DispatchOptions['body'],
      headersTimeout: this.opts.timeoutMs,
      bodyTimeout: this.opts.timeoutMs,
    };
  }

  private async toError(res: Answer): Promise<ProviderError> {
    const text = 'text' in res ? res.text : await res.body.text().catch(() => '');
    let message = `upstream answered HTTP ${res.statusCode}`;
    let code: string | null = null;
    let param: string | null = null;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string; code?: string; param?: string } };
      if (parsed.error?.message) message = parsed.error.message;
      code = parsed.error?.code ?? null;
      param = parsed.error?.param ?? null;
    } catch {
      /* not JSON: keep the generic message rather than echo an HTML error page */
    }
    const retryAfter = Number(res.headers['retry-after']);
    return new ProviderError(res.statusCode, this.scrub(message), code, param, Number.isFinite(retryAfter) ? retryAfter : undefined);
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.opts.secrets);
  }
}

/** `/batches/batch_abc/cancel` → `/batches/{id}/cancel` (Vertex: `/batchPredictionJobs/{id}:cancel`): a bounded label set. */
function routeOf(path: string): string {
  return path.split('?')[0].replace(/^\/(files|batches|batchPredictionJobs)\/[^/:]+/, '/$1/{id}'); // a query (after=…) is no label
}

function backoffMs(attempt: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds >= 0) return Math.min(retryAfterSeconds * 1000, 10_000);
  return Math.min(200 * 2 ** (attempt - 1), 4000) * (0.75 + Math.random() * 0.25);
}
