import { initTRPC } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
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

/** The kind's tRPC code; the return type checks, where tRPC's types are at hand, that the table names real ones. */
const trpcCode = (kind: ErrorKind): TRPC_ERROR_CODE_KEY => ERROR_KINDS[kind].trpc;

/**
 * tRPC over HTTP's one error mapping. Procedures and middlewares throw GatewayErrors as they are; tRPC wraps
 * each in an INTERNAL_SERVER_ERROR with the GatewayError as `cause` (getTRPCErrorFromUnknown), and every error
 * it sends, a subscription's included, passes through here. The HTTP status is `data.httpStatus`
 * (getHTTPStatusCode reads it), so the table's row decides code and status alike. tRPC's own errors (an
 * unreadable body, a GET for a mutation) keep their code and status, which are finer than a kind's.
 */
const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const g = GatewayError.from(error);
    const ours = error.cause instanceof GatewayError || g.kind === 'internal';
    return {
      ...shape,
      message: g.message, // an unexpected error's message (a driver's SQL error) is for the logs, not for callers
      code: ours ? TRPC_ERROR_CODES_BY_KEY[trpcCode(g.kind)] : shape.code,
      data: {
        ...shape.data,
        code: ours ? trpcCode(g.kind) : shape.data.code,
        httpStatus: ours ? ERROR_KINDS[g.kind].http : shape.data.httpStatus,
        stack: undefined,
        openai: { type: ERROR_KINDS[g.kind].openaiType, param: g.param, code: g.code },
      },
    };
  },
});

const authenticated = t.middleware(async ({ ctx, next }) => next({ ctx: { principal: await authenticate(ctx.gw, ctx.token) } }));

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
export const publicProcedure = t.procedure;
/** api/direct-operation.ts runs this same chain (authenticate, then the input) without tRPC: keep the two alike. */
export const authedProcedure = t.procedure.use(authenticated);
export const adminProcedure = authedProcedure.use(requireMaster);
