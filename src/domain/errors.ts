import { echo, wellFormed } from './echo.js';

/**
 * The one error type of the domain. Every transport maps it once, through ERROR_KINDS: REST to the OpenAI
 * envelope and an HTTP status, gRPC to a status code, tRPC to its error shape. Anything else that escapes is an
 * internal error (GatewayError.from).
 */
export type ErrorKind =
  | 'invalid_request' // 400
  | 'authentication' // 401
  | 'permission' // 403
  | 'not_found' // 404
  | 'timeout' // 408: the caller was too slow to send its request
  | 'conflict' // 409
  | 'payload_too_large' // 413
  | 'rate_limited' // 429
  | 'upstream' // 502: a provider answered badly
  | 'unavailable' // 503: no deployment could take the call
  | 'internal'; // 500

/**
 * The one table from an error kind to what every transport says: the HTTP status (REST, and tRPC over HTTP),
 * the gRPC status code (numbers from the gRPC spec, so the domain needs no gRPC library), tRPC's error code
 * (what a tRPC client reads as `data.code`; its HTTP status is `http`) and OpenAI's error `type`, which REST's
 * envelope, tRPC's `data.openai.type` and gRPC's `sluice-error-type` trailer all carry. The types are those
 * OpenAI's API sends: a 404 is an `invalid_request_error` there, and 5xx a `server_error`.
 */
export const ERROR_KINDS = {
  invalid_request: { http: 400, grpc: 3 /* INVALID_ARGUMENT */, trpc: 'BAD_REQUEST', openaiType: 'invalid_request_error' },
  authentication: { http: 401, grpc: 16 /* UNAUTHENTICATED */, trpc: 'UNAUTHORIZED', openaiType: 'authentication_error' },
  permission: { http: 403, grpc: 7 /* PERMISSION_DENIED */, trpc: 'FORBIDDEN', openaiType: 'permission_error' },
  not_found: { http: 404, grpc: 5 /* NOT_FOUND */, trpc: 'NOT_FOUND', openaiType: 'invalid_request_error' },
  timeout: { http: 408, grpc: 4 /* DEADLINE_EXCEEDED */, trpc: 'TIMEOUT', openaiType: 'invalid_request_error' },
  conflict: { http: 409, grpc: 9 /* FAILED_PRECONDITION */, trpc: 'CONFLICT', openaiType: 'invalid_request_error' },
  payload_too_large: { http: 413, grpc: 8 /* RESOURCE_EXHAUSTED */, trpc: 'PAYLOAD_TOO_LARGE', openaiType: 'invalid_request_error' },
  rate_limited: { http: 429, grpc: 8 /* RESOURCE_EXHAUSTED */, trpc: 'TOO_MANY_REQUESTS', openaiType: 'rate_limit_error' },
  upstream: { http: 502, grpc: 14 /* UNAVAILABLE */, trpc: 'BAD_GATEWAY', openaiType: 'server_error' },
  unavailable: { http: 503, grpc: 14 /* UNAVAILABLE */, trpc: 'SERVICE_UNAVAILABLE', openaiType: 'server_error' },
  internal: { http: 500, grpc: 13 /* INTERNAL */, trpc: 'INTERNAL_SERVER_ERROR', openaiType: 'server_error' },
} as const satisfies Record<ErrorKind, { http: number; grpc: number; trpc: string; openaiType: string }>;

/**
 * The kind behind a tRPC error code: the table's own column read backwards, plus the codes tRPC raises for
 * requests it cannot read (bad JSON, a GET for a mutation, an unknown content type), all the caller's doing.
 */
const KIND_OF_TRPC_CODE: Record<string, ErrorKind> = {
  ...Object.fromEntries(Object.entries(ERROR_KINDS).map(([kind, row]) => [row.trpc, kind as ErrorKind])),
  PARSE_ERROR: 'invalid_request',
  METHOD_NOT_SUPPORTED: 'invalid_request',
  UNSUPPORTED_MEDIA_TYPE: 'invalid_request',
};

/** A safety net under echo(): no error message, whatever built it, grows past this (or holds a lone surrogate). */
const MAX_MESSAGE = 1000;

export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Seconds a client should wait before retrying (429/503). */
    readonly retryAfter?: number,
  ) {
    super(wellFormed(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message));
  }

  /**
   * The GatewayError behind anything a router call threw, for the transports to map through ERROR_KINDS: a
   * GatewayError as is; a tRPC error wrapping one (tRPC wraps whatever a procedure or middleware throws) as its
   * cause; tRPC's own errors (unreadable input, no such procedure) as their kind. Anything else is `internal`,
   * with a message that shows no internals and the original kept as `cause`, for the log.
   *
   * tRPC's errors are recognised by name, as tRPC itself does (getTRPCErrorFromUnknown): the domain imports no
   * transport library.
   */
  static from(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    if (err instanceof Error && err.name === 'TRPCError') {
      if (err.cause instanceof GatewayError) return err.cause;
      const kind = KIND_OF_TRPC_CODE[String((err as Error & { code?: unknown }).code)];
      if (kind && kind !== 'internal') return new GatewayError(kind, err.message);
      return internalError(err.cause ?? err);
    }
    return internalError(err);
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError('invalid_request', message, param, code);

/** Unknown, foreign, raw-provider and forged IDs all produce exactly this error, so existence is never revealed. */
export const notFound = (what: 'file' | 'batch', id: string) =>
  new GatewayError('not_found', `No such ${what}: '${echo(id)}'`, what === 'file' ? 'file_id' : 'batch_id', 'not_found');

/** An error nobody planned for: callers get this generic message; `cause` (the original) is for the log only. */
export function internalError(cause?: unknown): GatewayError {
  const err = new GatewayError('internal', 'The gateway hit an internal error', null, 'internal_error');
  if (cause !== undefined) err.cause = cause;
  return err;
}

/**
 * The caller went away (a cancelled gRPC call, a closed connection, an aborted tRPC call) before an upload
 * was complete: whoever notices first (the transport reading the body, or the domain) says exactly this.
 */
export const uploadCancelled = () => new GatewayError('invalid_request', 'The client cancelled the upload', 'file', 'upload_cancelled');

/** An upload form (REST multipart, tRPC FormData) without its `file` part. */
export const missingFile = () => new GatewayError('invalid_request', "Missing 'file' in the form", 'file', 'missing_file');

/** A batch that no deployment of its file's groups could take (none configured, or every one failed). */
export const noDeploymentForBatch = () =>
  new GatewayError('unavailable', 'No deployment could take the batch', null, 'deployment_unavailable');
