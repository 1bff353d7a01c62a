import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { GatewayError, type ErrorKind } from '../domain/errors.js';

/** tRPC's own errors (no GatewayError inside): an input its parser could not read, an unknown procedure. */
const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorKind>> = {
  BAD_REQUEST: 'invalid_request',
  PARSE_ERROR: 'invalid_request',
  UNAUTHORIZED: 'authentication',
  FORBIDDEN: 'permission',
  NOT_FOUND: 'not_found',
  TIMEOUT: 'timeout',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  TOO_MANY_REQUESTS: 'rate_limited',
};

/**
 * The GatewayError behind whatever a router call threw (as is, or as a TRPCError's cause), for the adapters
 * that map it to their wire format. Null: an unexpected error, to be answered as internal and logged.
 */
export function gatewayErrorOf(err: unknown): GatewayError | null {
  if (err instanceof GatewayError) return err;
  if (err instanceof TRPCError) {
    if (err.cause instanceof GatewayError) return err.cause;
    const kind = FROM_TRPC[err.code];
    if (kind) return new GatewayError(kind, err.message);
  }
  return null;
}
