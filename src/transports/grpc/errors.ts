import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ServerError, Status, type CallContext, type ServerMiddleware } from 'nice-grpc';
import { GatewayError, type ErrorKind } from '../../domain/errors.js';
import type { Logger } from '../../domain/gateway.js';

const GRPC_STATUS: Record<ErrorKind, Status> = {
  invalid_request: Status.INVALID_ARGUMENT,
  authentication: Status.UNAUTHENTICATED,
  permission: Status.PERMISSION_DENIED,
  not_found: Status.NOT_FOUND,
  conflict: Status.FAILED_PRECONDITION,
  payload_too_large: Status.RESOURCE_EXHAUSTED,
  rate_limited: Status.RESOURCE_EXHAUSTED,
  upstream: Status.UNAVAILABLE,
  unavailable: Status.UNAVAILABLE,
  internal: Status.INTERNAL,
};

/** tRPC's own errors (no GatewayError inside), e.g. an input the router's parser could not read. */
const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorKind>> = {
  BAD_REQUEST: 'invalid_request',
  PARSE_ERROR: 'invalid_request',
  UNAUTHORIZED: 'authentication',
  FORBIDDEN: 'permission',
  NOT_FOUND: 'not_found',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  TOO_MANY_REQUESTS: 'rate_limited',
};

function gatewayErrorOf(err: unknown): GatewayError | null {
  if (err instanceof GatewayError) return err;
  if (err instanceof TRPCError) {
    if (err.cause instanceof GatewayError) return err.cause;
    const kind = FROM_TRPC[err.code];
    if (kind) return new GatewayError(kind, err.message);
  }
  return null;
}

/**
 * The one mapping from any error to a gRPC status. The OpenAI error's type, param and code travel as trailers
 * (`sluice-error-type`, `sluice-error-param`, `sluice-error-code`; `retry-after` for 429/503). Unknown errors
 * never show internals.
 */
export function toServerError(err: unknown, trailer?: CallContext['trailer']): ServerError {
  if (err instanceof ServerError) return err;
  const g = gatewayErrorOf(err) ?? new GatewayError('internal', 'The gateway hit an internal error', null, 'internal_error');
  trailer?.set('sluice-error-type', g.kind);
  if (g.param) trailer?.set('sluice-error-param', g.param);
  if (g.code) trailer?.set('sluice-error-code', g.code);
  if (g.retryAfter !== undefined) trailer?.set('retry-after', String(Math.ceil(g.retryAfter)));
  return new ServerError(GRPC_STATUS[g.kind], g.message);
}

const isAbort = (err: unknown) => err instanceof Error && err.name === 'AbortError';

/** Server middleware: every method's errors go through toServerError; internal ones are logged. */
export function mapErrors(log: Logger): ServerMiddleware {
  return async function* (call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      if (isAbort(err) || context.signal.aborted) throw err; // the client is gone: nobody to tell
      const mapped = toServerError(err, context.trailer);
      if (mapped.code === Status.INTERNAL) {
        log.error({ event: 'grpc_call_failed', method: call.method.path, error: (err as Error)?.message, stack: (err as Error)?.stack }, 'gRPC call failed');
      }
      throw mapped;
    }
  };
}
