import { echo } from './echo.js';

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

/** A safety net under echo(): no error message, whatever built it, grows past this. */
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
    super(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message);
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
