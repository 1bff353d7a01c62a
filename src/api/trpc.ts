import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { authenticate } from '../domain/access/authenticate.js';
import type { Principal } from '../domain/access/principal.js';
import { ERROR_KINDS, GatewayError, type ErrorKind } from '../domain/errors.js';
import type { Gateway } from '../domain/gateway.js';

/**
 * Transport-free context: each transport extracts the bearer token from its wire (HTTP header, gRPC
 * metadata) and calls createContext; the router does the rest (tRPC's createContextInner pattern).
 */
export interface Context {
  gw: Gateway;
  token: string | undefined;
  /** Aborted when the caller goes away (closed HTTP request, cancelled gRPC call). */
  signal?: AbortSignal;
}

export const createContext = (gw: Gateway, token: string | undefined, signal?: AbortSignal): Context => ({ gw, token, signal });

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause instanceof GatewayError ? error.cause : null;
    // An unexpected error's message (a driver's SQL error, a stack line) is for the logs, not for callers.
    const internal = error.code === 'INTERNAL_SERVER_ERROR' && !cause;
    return {
      ...shape,
      message: internal ? 'The gateway hit an internal error' : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        openai: cause ? { type: ERROR_KINDS[cause.kind].openaiType, param: cause.param, code: cause.code } : null,
      },
    };
  },
});

const TRPC_CODES: Record<ErrorKind, TRPC_ERROR_CODE_KEY> = {
  invalid_request: 'BAD_REQUEST',
  authentication: 'UNAUTHORIZED',
  permission: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  timeout: 'TIMEOUT',
  conflict: 'CONFLICT',
  payload_too_large: 'PAYLOAD_TOO_LARGE',
  rate_limited: 'TOO_MANY_REQUESTS',
  upstream: 'BAD_GATEWAY',
  unavailable: 'SERVICE_UNAVAILABLE',
  internal: 'INTERNAL_SERVER_ERROR',
};

/** A GatewayError as a TRPCError (kept as `cause`); also for errors raised while a subscription runs. */
export const toTRPCError = (cause: GatewayError) => new TRPCError({ code: TRPC_CODES[cause.kind], message: cause.message, cause });

/**
 * The one place a GatewayError becomes a TRPCError. The GatewayError stays as `cause`, so the REST and gRPC
 * adapters map the original (kind, param, code) to their own wire format.
 */
function rethrowMapped<R extends { ok: boolean; error?: { cause?: unknown } }>(result: R): R {
  if (!result.ok && result.error?.cause instanceof GatewayError) throw toTRPCError(result.error.cause);
  return result;
}

const mapErrors = t.middleware(async ({ next }) => rethrowMapped(await next()));

/**
 * Authentication and error mapping in one middleware, not two: tRPC copies the call's options at every
 * middleware level, which showed in the retrieve profile.
 */
const authenticated = t.middleware(async ({ ctx, next }) => {
  let principal: Principal;
  try {
    principal = await authenticate(ctx.gw, ctx.token);
  } catch (err) {
    throw err instanceof GatewayError ? toTRPCError(err) : err;
  }
  return rethrowMapped(await next({ ctx: { principal } }));
});

const requireMaster = t.middleware(async ({ ctx, next }) => {
  const principal = (ctx as Context & { principal: Principal }).principal;
  if (principal.kind !== 'master') {
    throw new GatewayError('permission', 'This operation needs the master key', null, 'master_key_required');
  }
  return next();
});

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);
export const authedProcedure = t.procedure.use(authenticated);
export const adminProcedure = authedProcedure.use(requireMaster);
