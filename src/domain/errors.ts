import { echo, wellFormed } from './echo.js';

/**
 * The one error type of the domain. Every transport maps it once: REST to the OpenAI envelope and an HTTP
 * status, gRPC to a status code, tRPC to a TRPCError code. Anything else that escapes is an internal error.
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
 * the gRPC status code (numbers from the gRPC spec, so the domain needs no gRPC library) and OpenAI's error
 * `type`, which REST's envelope, tRPC's `data.openai.type` and gRPC's `sluice-error-type` trailer all carry.
 * The types are those OpenAI's API sends: a 404 is an `invalid_request_error` there, and 5xx a `server_error`.
 */
export const ERROR_KINDS: Record<ErrorKind, { http: number; grpc: number; openaiType: string }> = {
  invalid_request: { http: 400, grpc: 3 /* INVALID_ARGUMENT */, openaiType: 'invalid_request_error' },
  authentication: { http: 401, grpc: 16 /* UNAUTHENTICATED */, openaiType: 'authentication_error' },
  permission: { http: 403, grpc: 7 /* PERMISSION_DENIED */, openaiType: 'permission_error' },
  not_found: { http: 404, grpc: 5 /* NOT_FOUND */, openaiType: 'invalid_request_error' },
  timeout: { http: 408, grpc: 4 /* DEADLINE_EXCEEDED */, openaiType: 'invalid_request_error' },
  conflict: { http: 409, grpc: 9 /* FAILED_PRECONDITION */, openaiType: 'invalid_request_error' },
  payload_too_large: { http: 413, grpc: 8 /* RESOURCE_EXHAUSTED */, openaiType: 'invalid_request_error' },
  rate_limited: { http: 429, grpc: 8 /* RESOURCE_EXHAUSTED */, openaiType: 'rate_limit_error' },
  upstream: { http: 502, grpc: 14 /* UNAVAILABLE */, openaiType: 'server_error' },
  unavailable: { http: 503, grpc: 14 /* UNAVAILABLE */, openaiType: 'server_error' },
  internal: { http: 500, grpc: 13 /* INTERNAL */, openaiType: 'server_error' },
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
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError('invalid_request', message, param, code);

/** Unknown, foreign, raw-provider and forged IDs all produce exactly this error, so existence is never revealed. */
export const notFound = (what: 'file' | 'batch', id: string) =>
  new GatewayError('not_found', `No such ${what}: '${echo(id)}'`, what === 'file' ? 'file_id' : 'batch_id', 'not_found');

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
